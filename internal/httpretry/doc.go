// Package httpretry holds what sprawl's own HTTP API clients (the
// HashiCorp Vault, AWS Secrets Manager and Azure Key Vault adapters)
// share when they try a call again: a Policy with each client's retry
// count, waits and retryable statuses, the wait a server asks for in
// Retry-After, a sleep that ends with its context, and a bounded read of
// an answer's body. Each client keeps its own loop and its own judgement
// of which transport errors are worth another try.
//
// It imports only the standard library. A Policy is a value: it is safe
// for concurrent use as long as no one changes it.
package httpretry
