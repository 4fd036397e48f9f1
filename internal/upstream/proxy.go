package upstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// Bounds of a proxied call (docs/perform.md).
const (
	// MaxResponseBytes bounds the body of an upstream response.
	MaxResponseBytes = 10 << 20
	// MaxRedirects bounds the redirects followed within one host.
	MaxRedirects = 5
)

// Reasons a call fails, in the details of its error.
const (
	ReasonBlockedAddress   = "blocked_address"
	ReasonRedirectRefused  = "redirect_refused"
	ReasonTooManyRedirects = "too_many_redirects"
	ReasonResponseTooLarge = "response_too_large"
	ReasonConnectionFailed = "connection_failed"
	ReasonTimeout          = "timeout"
)

// Proxy sends the requests Perform builds: through the Guard, following
// redirects only within the first request's scheme and host, within a
// time and a response-size bound. It implements portico.Upstream.
type Proxy struct {
	Guard Guard
	// Timeout bounds a whole call, redirects and body included (0: Timeout).
	Timeout time.Duration
	// MaxResponseBytes bounds the response body (0: MaxResponseBytes).
	MaxResponseBytes int64

	client *http.Client
}

// NewProxy returns a proxy with the default bounds; allowPrivate is the
// --allow-private-upstreams switch.
func NewProxy(allowPrivate bool) *Proxy {
	p := &Proxy{Guard: Guard{AllowPrivate: allowPrivate}}
	p.client = NewClient(&p.Guard, 0)
	return p
}

// NewClient returns an HTTP client that dials only where g admits, uses no
// proxy from the environment (a proxy would make the guard judge the proxy
// instead of the upstream), follows redirects only to the same scheme and
// host (at most MaxRedirects), and gives up after timeout (0: Timeout).
func NewClient(g *Guard, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = Timeout
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext(10 * time.Second),
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		// Many users' calls often go to one provider's host: keep as
		// many connections to it as calls run at once under load, so
		// that a burst does not end in a TCP and TLS handshake per call.
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        90 * time.Second,
		ForceAttemptHTTP2:      true,
		MaxResponseHeaderBytes: 1 << 20,
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: sameHostRedirects}
}

// redirectError refuses a redirect; it names where, never the query (a
// signed URL's query is a credential of its own).
type redirectError struct {
	reason, location string
}

func (e *redirectError) Error() string {
	return "redirect refused (" + e.reason + ") to " + e.location
}

func sameHostRedirects(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(hostPort(req.URL), hostPort(first)) {
		return &redirectError{reason: ReasonRedirectRefused, location: req.URL.Scheme + "://" + req.URL.Host}
	}
	if len(via) > MaxRedirects {
		return &redirectError{reason: ReasonTooManyRedirects, location: req.URL.Scheme + "://" + req.URL.Host}
	}
	return nil
}

// hostPort is u's host and port, the scheme's default port when u names
// none: api.example.com and api.example.com:443 are one https host.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func (p *Proxy) httpClient() *http.Client {
	if p.client == nil {
		p.client = NewClient(&p.Guard, 0)
	}
	return p.client
}

// Client is the proxy's guarded HTTP client, for the other calls made to
// integrations' servers (OAuth2 token requests).
func (p *Proxy) Client() *http.Client { return p.httpClient() }

// Response is an integration's answer, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req and reads the response within the bounds. A response body
// over the size bound is refused, never buffered past it. Errors are
// *portico.Error with CodeUpstreamUnreachable or CodeUpstreamTimeout and a
// details.reason; their messages hold no URL (a query may carry a
// credential).
func (p *Proxy) Do(ctx context.Context, req *portico.UpstreamRequest) (*Response, error) {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = Timeout
	}
	limit := p.MaxResponseBytes
	if limit <= 0 {
		limit = MaxResponseBytes
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := CheckHost(req.URL.Hostname()); err != nil {
		return nil, failure(err, timeout)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL.String(), bytes.NewReader(req.Body))
	if err != nil {
		return nil, &portico.Error{Code: portico.CodeUpstreamUnreachable, Message: "The upstream request could not be built.",
			Details: map[string]any{"reason": ReasonConnectionFailed}, NotSent: true}
	}
	if req.Body == nil {
		hr.Body, hr.GetBody, hr.ContentLength = http.NoBody, nil, 0
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if hr.Header.Get("User-Agent") == "" {
		hr.Header.Set("User-Agent", "Portico")
	}
	res, err := p.httpClient().Do(hr)
	if err != nil {
		return nil, failure(err, timeout)
	}
	defer res.Body.Close()
	if res.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, failure(err, timeout)
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(limit)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: body}, nil
}

func tooLarge(limit int64) error {
	return &portico.Error{Code: portico.CodeUpstreamUnreachable,
		Message: "The upstream response is larger than " + byteSize(limit) + "; Portico does not pass it on.",
		Details: map[string]any{"reason": ReasonResponseTooLarge, "max_bytes": limit}}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// transportFailure is what a failed round trip was: a reason of
// ReasonBlockedAddress (blocked set), a redirect reason (redirect set),
// ReasonTimeout or ReasonConnectionFailed; cause is the innermost error,
// without the *url.Error that would print the URL.
type transportFailure struct {
	reason   string
	blocked  *BlockedError
	redirect *redirectError
	cause    error
}

func classify(err error) transportFailure {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	f := transportFailure{reason: ReasonConnectionFailed, cause: err}
	var ne net.Error
	switch {
	case blockedOf(err) != nil:
		f.reason, f.blocked = ReasonBlockedAddress, blockedOf(err)
	case errors.As(err, &f.redirect):
		f.reason = f.redirect.reason
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		f.reason = ReasonTimeout
	}
	return f
}

// FetchFailure words the failure of a fetch through the guarded client
// (an OpenAPI document by URL) for the caller: the host and the kind of
// address the guard refused, a redirect refused, a timeout, or that the
// server could not be reached. Never an address a name resolved to, nor
// the resolver's (docs/perform.md, "The address guard").
func FetchFailure(err error) string {
	switch f := classify(err); {
	case f.blocked != nil:
		return "Portico does not connect to " + f.blocked.Host + ": " + f.blocked.Reason
	case f.redirect != nil:
		return "it redirected to " + f.redirect.location + " (" + f.redirect.reason + ")"
	case f.reason == ReasonTimeout:
		return "it did not answer in time"
	}
	return "it could not be reached"
}

// failure words a transport error as perform answers it, keeping the cause
// for the log.
func failure(err error, timeout time.Duration) error {
	f := classify(err)
	// Sent or not: a refused address, a name that did not resolve and a
	// dial that failed never reached the upstream; a connection lost, a
	// redirect refused or a timeout may have come after it acted.
	var dns *net.DNSError
	var op *net.OpError
	notSent := f.blocked != nil || f.reason == ReasonConnectionFailed && (errors.As(f.cause, &dns) || errors.As(f.cause, &op) && op.Op == "dial")
	e := &portico.Error{Code: portico.CodeUpstreamUnreachable, Message: "The upstream could not be reached.",
		Details: map[string]any{"reason": f.reason}, Err: f.cause, NotSent: notSent}
	switch {
	case f.blocked != nil:
		e.Message, e.Err = "Portico does not connect to "+f.blocked.Host+": "+f.blocked.Reason+". Only public addresses can be reached.", f.blocked
	case f.redirect != nil:
		e.Message, e.Err = "The upstream redirected to "+f.redirect.location+"; Portico follows redirects only within the integration's own scheme and host.", f.redirect
		if f.redirect.reason == ReasonTooManyRedirects {
			e.Message = "The upstream redirected more than " + strconv.Itoa(MaxRedirects) + " times."
		}
	case f.reason == ReasonTimeout:
		e.Code, e.Message = portico.CodeUpstreamTimeout, "The upstream did not answer within "+timeout.String()+"."
	}
	return e
}
