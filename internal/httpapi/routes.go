package httpapi

// routes lists every native route on one screen. Handlers that act for an
// app are wrapped in appAuth.
func (s *Server) routes() {
	h := func(pattern string, fn handler) { s.handle(pattern, s.wrap(fn)) }
	app := func(pattern string, fn handler) { h(pattern, s.appAuth(fn)) }

	h("GET /healthz", s.handleHealthz)
	h("GET /readyz", s.handleReadyz)
	h("GET /openapi.json", s.handleOpenAPI)
	s.handle("GET /metrics", s.metrics.handler())

	app("GET /v1/app", s.handleAppGet)
	app("PATCH /v1/app", s.handleAppUpdate)

	app("POST /v1/users", s.handleUserCreate)
	app("GET /v1/users", s.handleUserList)
	app("GET /v1/users/{id}", s.handleUserGet)
	app("PATCH /v1/users/{id}", s.handleUserUpdate)
	app("DELETE /v1/users/{id}", s.handleUserDelete)

	app("POST /v1/sessions", s.handleSessionCreate)
	app("GET /v1/sessions", s.handleSessionList)
	app("GET /v1/sessions/{id}", s.handleSessionGet)
	app("DELETE /v1/sessions/{id}", s.handleSessionDelete)
	app("POST /v1/sessions/{id}/extend", s.handleSessionExtend)
	app("POST /v1/sessions/{id}/configuration_url", s.handleSessionConfigURL)
	app("DELETE /v1/users/{id}/sessions", s.handleUserSessionsDelete)
	app("POST /v1/tokens/refresh", s.handleTokenRefresh)
	app("POST /v1/verifications/{flow}/confirm", s.handleVerificationConfirm)

	h("GET /v1/me", s.userAuth(s.handleMe))

	app("POST /v1/accounts", s.handleAccountCreate)
	app("GET /v1/accounts", s.handleAccountList)
	app("GET /v1/accounts/{id}", s.handleAccountGet)
	app("PATCH /v1/accounts/{id}", s.handleAccountUpdate)
	app("DELETE /v1/accounts/{id}", s.handleAccountDelete)

	// Integrations and connections.
	app("GET /v1/catalog", s.handleCatalogList)
	app("PUT /v1/integrations/{slug}", s.handleIntegrationPut)
	app("GET /v1/integrations", s.handleIntegrationList)
	app("GET /v1/integrations/{slug}", s.handleIntegrationGet)
	app("DELETE /v1/integrations/{slug}", s.handleIntegrationDelete)
	app("GET /v1/connections", s.handleConnectionList)
	app("GET /v1/connections/{id}", s.handleConnectionGet)
	app("DELETE /v1/connections/{id}", s.handleConnectionDelete)
	app("PUT /v1/users/{id}/connections/{slug}", s.handleConnectionImport)
	h("GET /v1/me/connections", s.userAuth(s.handleMeConnections))
	h("DELETE /v1/me/connections/{id}", s.userAuth(s.handleMeConnectionDelete))

	// Perform and tools.
	app("POST /v1/perform", s.handlePerform)
	app("GET /v1/tools", s.handleTools)

	// Activity.
	app("GET /v1/activity", s.handleActivity)
	h("GET /v1/me/activity", s.userAuth(s.handleMeActivity))
}
