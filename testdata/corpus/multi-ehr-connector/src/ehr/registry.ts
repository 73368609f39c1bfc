import config from "config";

export interface SmartClient {
  fhirBase: string;
  clientId: string;
  clientSecret: string;
}

export function client(ehr: string): SmartClient {
  return {
    fhirBase: config.get(`ehrs.${ehr}.fhir_base`),
    clientId: config.get(`ehrs.${ehr}.client_id`),
    clientSecret: @@BAIT:template-reference@@config.get(`ehrs.${ehr}.client_secret`),
  };
}
