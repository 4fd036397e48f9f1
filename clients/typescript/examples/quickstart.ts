import { isConnectionRequired, Portico } from "@porticohq/portico";

const portico = new Portico({
  baseUrl: process.env["PORTICO_URL"] ?? "http://127.0.0.1:8080",
  apiKey: process.env["PORTICO_API_KEY"],
});

// Find or create one of your users by your own id.
const { user, created } = await portico.users.create({ external_id: "u-42", name: "Ann" });
console.log(user.id, created ? "created" : "found");

// A session: the token for your frontend, and the page where the user connects tools.
const session = await portico.sessions.create({ user: { external_id: "u-42" }, refreshable: true });
console.log("configuration URL:", session.configuration_url);

// Every user, a page at a time.
for await (const u of portico.users.list({ page_size: 100 })) {
  console.log("user", u.id, u.external_id);
}

// An agent acts for the user; without a connection Portico says where to connect.
await portico.integrations.put("github", {
  template: "github",
  auth: { oauth2: { client_id: "Iv1.example", client_secret: "example-secret" } },
});
try {
  await portico.perform({ user: { external_id: "u-42" }, integration: "github", action: "list-repos", input: {} });
} catch (err) {
  if (!isConnectionRequired(err)) throw err;
  console.log(err.code, err.details.reason, err.details.configuration_url);
}
