// Package image scans container images for secrets: every layer's files
// and the image configuration (environment, command, entrypoint, labels,
// the history's created_by lines, where build arguments leak).
//
// Open resolves what a user names: a registry reference (pulled with the
// credentials of the Docker configuration, authn.DefaultKeychain), a
// docker-archive tarball (docker save) or an OCI image layout directory.
// For a multi-platform index, one platform's image is chosen
// (Options.Platform, default linux/amd64, or the only one there is).
//
// Layers are streamed, never extracted and never held whole in memory:
// each layer's uncompressed tar stream is read member by member into
// scanner.ChunkReader, so memory stays bounded by the chunk size whatever
// the image's size. Layers are read from the top one down, as an
// extraction that applies whiteouts does, which tells for each file
// whether the final filesystem still holds it: a file a later layer
// deleted (a whiteout, an opaque directory, a parent replaced by a file)
// or replaced is scanned all the same, as git history is, and its
// findings say so (Finding.Message starts with NotInFinalImage; AtTip
// answers false for them).
//
// Locations name the image by reference and manifest digest:
// image:REF@DIGEST/layer/N/PATH (N counts from 0, the base layer, in the
// manifest's order) and image:REF@DIGEST/config/env/NAME, …/config/cmd,
// …/config/entrypoint, …/config/label/KEY, …/config/history/N,
// …/config/onbuild/N.
//
// A Source is used by one scan at a time; Chunks runs on one goroutine.
package image
