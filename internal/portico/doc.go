// Package portico is the domain of Portico: apps and their keys, users and
// accounts, sessions and configuration links, integrations and their
// actions, connections and their sealed credentials, perform, OAuth2
// authorization and refresh, and the events of the outbox. Every rule of
// the product lives here, behind Service; the adapters (the native API,
// the compatible surfaces, the hosted page, the CLI) translate requests
// into its calls and its errors into their answers.
//
// The package stands alone: it imports the standard library only, and no
// net/http or database/sql. What it needs from outside comes through
// interfaces that the server wires: Store (package store), Sealer (package
// secret), Upstream and OAuth2Flow/TokenRefresher (package upstream).
package portico
