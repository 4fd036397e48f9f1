package api

// VerificationConfirm is the body of POST /v1/verifications/{flow}/confirm:
// the user logged in to the app in the browser that brought the flow.
type VerificationConfirm struct {
	User PerformUser `json:"user"`
}

// VerificationConfirmed is its answer: where to send that browser, once.
type VerificationConfirmed struct {
	ReturnTo string `json:"return_to"`
}
