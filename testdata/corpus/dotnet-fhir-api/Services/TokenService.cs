using Azure.Identity;

namespace StMarys.Fhir.Services;

public sealed class TokenService
{
    private const string PasswordClaim = @@BAIT:code-identifier@@"password";
    private const string ClientSecretSetting = @@BAIT:code-identifier@@"AzureAd:ClientSecret";

    private readonly ClientSecretCredential _credential = new(
        Environment.GetEnvironmentVariable("AZURE_TENANT_ID"),
        Environment.GetEnvironmentVariable("AZURE_CLIENT_ID"),
        @@BAIT:env-reference@@Environment.GetEnvironmentVariable("AZURE_CLIENT_SECRET"));
}
