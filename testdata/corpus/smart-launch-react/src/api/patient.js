export async function loadPatient(client) {
  // Epic sandbox patients used in demos
  const demo = ["@@BAIT:doc-example@@erXuFYUfucBZaryVksYEcMg3", "@@FAKE:fhir-id@@"];
  const res = await fetch(`${client.state.serverUrl}/Patient/${demo[0]}`, {
    headers: { Authorization: `@@BAIT:template-reference@@Bearer ${client.state.tokenResponse.access_token}` },
  });
  return res.json();
}
