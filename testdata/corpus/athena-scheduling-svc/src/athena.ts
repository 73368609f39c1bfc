const clientId = process.env.ATHENA_CLIENT_ID!;
const clientSecret = @@BAIT:env-reference@@process.env.ATHENA_CLIENT_SECRET!;

export async function token(): Promise<string> {
  const basic = Buffer.from(@@BAIT:template-reference@@`${clientId}:${clientSecret}`).toString("base64");
  const res = await fetch(process.env.ATHENA_TOKEN_URL!, {
    method: "POST",
    headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials&scope=athena/service/Athenanet.MDP.*",
  });
  return (await res.json()).access_token;
}
