import sgMail from "@sendgrid/mail";
import twilio from "twilio";

const apiKey = @@BAIT:env-reference@@process.env.SENDGRID_API_KEY!;
sgMail.setApiKey(apiKey);

const sms = twilio(process.env.TWILIO_ACCOUNT_SID, @@BAIT:env-reference@@process.env.TWILIO_AUTH_TOKEN);

export async function remind(phone: string, when: string) {
  await sms.messages.create({ to: phone, from: process.env.TWILIO_FROM_NUMBER, body: `Reminder: appointment ${when}` });
}
