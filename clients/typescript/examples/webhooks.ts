import { createServer } from "node:http";
import { verifyWebhook, WebhookVerificationError } from "@porticohq/portico";

const secret = process.env["PORTICO_WEBHOOK_SECRET"] ?? ""; // whsec_… from PATCH /v1/app

export const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    try {
      // The raw bytes, before any JSON parsing.
      const event = verifyWebhook({ secret, signature: req.headers["portico-signature"] as string, body: Buffer.concat(chunks) });
      console.log(event.id, event.type, event.data);
      res.writeHead(204).end(); // answer fast; deduplicate by event.id
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      res.writeHead(400).end(err.reason);
    }
  });
});
