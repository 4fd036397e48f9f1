package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/porticohq/portico/internal/authserver"
	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/compat/apideck"
	"github.com/porticohq/portico/internal/compat/humanapi"
	"github.com/porticohq/portico/internal/compat/mindset"
	"github.com/porticohq/portico/internal/compat/sessionstorage"
	"github.com/porticohq/portico/internal/compat/superface"
	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/mcp"
	"github.com/porticohq/portico/internal/openapi"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/upstream"
	"github.com/porticohq/portico/internal/web"
	"github.com/porticohq/portico/internal/webhook"
)

// Config is everything `portico serve` runs with.
type Config struct {
	storeFlags
	Addr      string
	PublicURL string
	// EncryptionKey is PORTICO_ENCRYPTION_KEY (or the file that
	// PORTICO_ENCRYPTION_KEY_FILE names), never a flag.
	EncryptionKey         string
	AllowPrivateUpstreams bool
	LogFormat             string
	LogLevel              string
	RateLimitKey          float64
	RateLimitKeyBurst     int
	RateLimitIP           float64
	RateLimitIPBurst      int
	TrustedProxies        string
	ShutdownTimeout       time.Duration
	PurgeGrace            time.Duration
	PurgeInterval         time.Duration
	// RefreshInterval and RefreshWindow drive the background refresh of
	// OAuth2 tokens (refresh.go).
	RefreshInterval time.Duration
	RefreshWindow   time.Duration
	// NoActivityLog turns the activity log off (portico.Service.NoActivity).
	NoActivityLog bool

	// For tests: the clock, where logs go (nil: stderr of the command),
	// and the server's write timeout (0: 60 s).
	Clock        portico.Clock
	LogOutput    io.Writer
	WriteTimeout time.Duration

	// parsed marks a Config read from flags and the environment, where a
	// zero is what the operator gave (--purge-grace 0 deletes sessions as
	// soon as they end): fillDefaults leaves it.
	parsed bool
}

// serveDefaults holds the value of each setting of serve that neither a
// flag nor the environment sets; the flags show them in their help. The
// background refresher runs every minute for the tokens that expire within
// five, so that a token is renewed a few passes before it runs out and a
// use seldom waits for a refresh.
var serveDefaults = Config{
	Addr:              "127.0.0.1:8080",
	LogFormat:         "auto",
	LogLevel:          "info",
	RateLimitKey:      100,
	RateLimitKeyBurst: 200,
	RateLimitIP:       10,
	RateLimitIPBurst:  100,
	ShutdownTimeout:   15 * time.Second,
	PurgeGrace:        7 * 24 * time.Hour,
	PurgeInterval:     time.Minute,
	RefreshInterval:   time.Minute,
	RefreshWindow:     5 * time.Minute,
}

// fillDefaults gives the settings that a Config built in code may leave
// zero, the periods of the background tasks and the purge grace, their
// defaults. A parsed Config keeps its zeros: Validate refuses a zero
// period, and a zero grace means none.
func (c *Config) fillDefaults() {
	if c.parsed {
		return
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&c.PurgeGrace, serveDefaults.PurgeGrace},
		{&c.PurgeInterval, serveDefaults.PurgeInterval},
		{&c.RefreshInterval, serveDefaults.RefreshInterval},
		{&c.RefreshWindow, serveDefaults.RefreshWindow},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
}

func (c *Config) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	Float64Var(*float64, string, float64, string)
	IntVar(*int, string, int, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}) {
	d := &serveDefaults
	fs.StringVar(&c.Addr, "addr", d.Addr, "address to listen on")
	fs.StringVar(&c.PublicURL, "public-url", d.PublicURL, "URL users reach this server at, used in configuration URLs (default http://<addr>)")
	fs.BoolVar(&c.AllowPrivateUpstreams, "allow-private-upstreams", d.AllowPrivateUpstreams, "let integrations, OAuth2 endpoints and webhooks reach loopback and private addresses (development and tests only)")
	fs.StringVar(&c.LogFormat, "log-format", d.LogFormat, "auto (text on a terminal, else JSON), json or text")
	fs.StringVar(&c.LogLevel, "log-level", d.LogLevel, "debug, info, warn or error")
	fs.Float64Var(&c.RateLimitKey, "rate-limit-key", d.RateLimitKey, "requests per second allowed per API key or session token (0: unlimited)")
	fs.IntVar(&c.RateLimitKeyBurst, "rate-limit-key-burst", d.RateLimitKeyBurst, "burst allowed per API key or session token")
	fs.Float64Var(&c.RateLimitIP, "rate-limit-ip", d.RateLimitIP, "failed authentications (and OAuth client registrations) per second allowed per client IP before it gets 429 (0: unlimited)")
	fs.IntVar(&c.RateLimitIPBurst, "rate-limit-ip-burst", d.RateLimitIPBurst, "burst of failed authentications (and OAuth client registrations) allowed per client IP")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", d.TrustedProxies, "comma-separated addresses or CIDR prefixes of load balancers whose X-Forwarded-For names the client (empty: none)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "how long to drain in-flight requests on SIGINT/SIGTERM")
	fs.DurationVar(&c.PurgeGrace, "purge-grace", d.PurgeGrace, "how long expired and revoked sessions are kept before they are deleted (0: deleted at the next purge)")
	fs.DurationVar(&c.PurgeInterval, "purge-interval", d.PurgeInterval, "how often the background purge runs")
	fs.DurationVar(&c.RefreshInterval, "refresh-interval", d.RefreshInterval, "how often the background refresh of OAuth2 tokens runs")
	fs.DurationVar(&c.RefreshWindow, "refresh-window", d.RefreshWindow, "the background refresh renews OAuth2 tokens that expire within this")
	fs.BoolVar(&c.NoActivityLog, "no-activity-log", d.NoActivityLog, "record no activity log (GET /v1/activity stays empty), for deployments that keep their own audit trail")
}

// encryptionKeyUsage describes PORTICO_ENCRYPTION_KEY in the help of the
// commands that read it.
const encryptionKeyUsage = "base64 of 32 bytes (a comma-separated list during rotation, the new key first); " +
	"with SQLite, when unset, a key generated in the data dir; required with PostgreSQL"

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if err := c.storeFlags.validate(); err != nil {
		errs = append(errs, err)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want host:port", c.Addr))
	}
	if c.PublicURL != "" {
		// The origin only: Portico's links and redirects are absolute
		// paths from the root of its host, and a URL's user info would be
		// a credential in every link and log line.
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, errors.New("--public-url: want the origin Portico is served at, such as https://portico.example.com: http or https, with no user info, path, query or fragment"))
		}
	}
	rates := []float64{c.RateLimitKey, c.RateLimitIP}
	if slices.ContainsFunc(rates, func(r float64) bool { return r < 0 || math.IsNaN(r) || math.IsInf(r, 0) }) || c.RateLimitKeyBurst < 0 || c.RateLimitIPBurst < 0 {
		errs = append(errs, errors.New("rate limits must be numbers, not negative"))
	}
	if _, err := httpapi.ParseTrustedProxies(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("--trusted-proxies: %w", err))
	}
	if _, err := logOptions(c.LogFormat, c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	if c.PurgeGrace < 0 || c.PurgeInterval <= 0 {
		errs = append(errs, errors.New("--purge-grace must not be negative and --purge-interval must be positive"))
	}
	if err := c.validateRefresh(); err != nil {
		errs = append(errs, err)
	}
	// From the command line, the background periods are at least a
	// second: --purge-interval 1ns made the purge a busy loop. Tests that
	// build a Config in code run them faster.
	if c.parsed && (c.PurgeInterval > 0 && c.PurgeInterval < minPeriod || c.RefreshInterval > 0 && c.RefreshInterval < minPeriod) {
		errs = append(errs, fmt.Errorf("--purge-interval and --refresh-interval must be at least %v", minPeriod))
	}
	return errors.Join(errs...)
}

// gcPercent is the GC target of `portico serve` unless GOGC is set. The
// server's live heap is a few MiB, so Go's default (100) collects every few
// MiB allocated, which cost a quarter of the CPU of GET /v1/me under load;
// at 800 an MCP tools/call, which allocates about 440 KB, costs a quarter
// less CPU than at 400, a perform 6 % less (bench/README.md, "Garbage
// collection").
const gcPercent = 800

// memoryLimit is the soft limit on the Go heap unless GOMEMLIMIT is set: the
// collector works harder as the heap nears it, so a larger live heap than
// usual (many MCP sessions, large pages of results) keeps the process's
// anonymous memory under the 256 MiB that bench/README.md checks instead of
// growing to nine times the live heap. SQLite's page caches are outside it.
const memoryLimit = 192 << 20

// tuneGC sets the collector's target and soft limit to gcPercent and
// memoryLimit, each unless its environment variable is set.
func tuneGC(env *Env) {
	if env.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if env.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

func runServe(ctx context.Context, env *Env, args []string) error {
	tuneGC(env)
	cfg, err := parseServe(env, args)
	if err != nil {
		return err
	}
	cfg.LogOutput = env.Stderr
	srv, err := NewServer(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	return srv.Run(ctx)
}

// parseServe reads serve's configuration from the flags and the
// environment.
func parseServe(env *Env, args []string) (Config, error) {
	var (
		cfg Config
		err error
	)
	fs := newFlags(env, "serve", "serve [flags]")
	cfg.storeFlags.register(fs, true)
	cfg.register(fs)
	fs.secretFromEnv("encryption-key", encryptionKeyUsage)
	if err := parse(fs, args); err != nil {
		return cfg, err
	}
	cfg.parsed = true
	if err := cfg.Validate(); err != nil {
		// A value no flag accepts is a misuse of the command, as an
		// unknown flag is (exit 2).
		return cfg, fs.misuse(err.Error())
	}
	cfg.EncryptionKey, err = fs.lookup("encryption-key")
	return cfg, err
}

// Server is a running Portico: the store, the service and the listener.
type Server struct {
	cfg    Config
	log    *slog.Logger
	logOut io.Closer // flushes the log at Close
	db     *store.DB
	ln     net.Listener
	http   *http.Server
	url    string
	// Service is exposed for tests that drive the domain directly.
	Service *portico.Service
	// Webhooks delivers the outbox; exposed for tests.
	Webhooks *webhook.Worker
	mcp      *mcp.Handler
	api      *httpapi.Server
}

// Store is the server's store, for tests that read or write what lies
// behind the service.
func (s *Server) Store() *store.DB { return s.db }

// NewServer starts listening, opens the store, migrates it and checks the
// encryption key; Run serves. The address comes first: a port in use is
// said before anything is created, migrated or generated.
func NewServer(ctx context.Context, cfg Config) (_ *Server, err error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	cfg.fillDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log, logOut, err := newLogger(cfg.LogOutput, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			logOut.Close()
		}
	}()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	newDir, err := cfg.storeFlags.locate(true)
	if err != nil {
		return nil, err
	}
	if cfg.EncryptionKey == "" && cfg.DatabaseURL != "" {
		return nil, errNoPostgresKey
	}
	if cfg.EncryptionKey != "" {
		// A mistyped key is said before the store is created or migrated.
		if _, err := secret.ParseKeys(cfg.EncryptionKey); err != nil {
			return nil, err
		}
	}
	db, _, err := cfg.storeFlags.open(ctx, log, cfg.Clock)
	if err != nil {
		return nil, err
	}
	if newDir != "" {
		log.Info("created_store", slog.String("dir", newDir))
	}
	ring, err := loadKeyring(ctx, db, &cfg.storeFlags, cfg.EncryptionKey, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, logOut: logOut, db: db, ln: ln}
	if err := s.init(ctx, ring); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) init(ctx context.Context, ring *secret.Keyring) error {
	if err := checkKeyring(ctx, s.db, ring); err != nil {
		return err
	}
	pk, err := metaKey(ctx, s.db, "page_token_key")
	if err != nil {
		return err
	}

	// One guarded proxy for every call to an integration's servers:
	// performs, the hosted page's OAuth2 token requests and the OpenAPI
	// documents PUT /v1/integrations/{slug} fetches.
	proxy := upstream.NewProxy(s.cfg.AllowPrivateUpstreams)
	oauth := &upstream.OAuth2{Client: proxy.Client()}
	s.Service = portico.NewService(s.db, &portico.Service{Sealer: ring, Pages: portico.NewPageCodec(pk), Now: s.cfg.Clock, Log: s.log,
		AllowPrivateUpstreams: s.cfg.AllowPrivateUpstreams, Upstream: proxy, Refresher: oauth, OAuth2: oauth,
		OpenAPI: &openapi.Importer{Client: proxy.Client(), FetchFailure: upstream.FetchFailure}, FetchClientMetadata: upstream.ClientMetadataFetcher(proxy.Client()),
		NoActivity: s.cfg.NoActivityLog})
	trusted, err := httpapi.ParseTrustedProxies(s.cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	api := httpapi.New(httpapi.Options{
		Service:        s.Service,
		Logger:         s.log,
		KeyRate:        s.cfg.RateLimitKey,
		KeyBurst:       s.cfg.RateLimitKeyBurst,
		IPFailRate:     s.cfg.RateLimitIP,
		IPFailBurst:    s.cfg.RateLimitIPBurst,
		TrustedProxies: trusted,
	})
	s.api = api
	s.Service.CountRefresh = api.Metrics().OAuthRefresh
	s.Service.Metrics = api.Metrics()
	s.db.SetMetrics(api.Metrics())
	if _, _, ok := s.db.LookupPageReads(); ok {
		api.Metrics().CountLookupPageReads(func() (uint64, uint64) {
			sessions, keys, _ := s.db.LookupPageReads()
			return sessions, keys
		})
	}
	s.url = strings.TrimRight(s.cfg.PublicURL, "/")
	if s.url == "" {
		s.url = "http://" + s.ln.Addr().String()
	}
	s.Service.PublicURL = s.url
	ck, err := metaKey(ctx, s.db, "cookie_key")
	if err != nil {
		return err
	}
	page, err := web.New(web.Options{Service: s.Service, Logger: s.log, Key: ck, PublicURL: s.url})
	if err != nil {
		return fmt.Errorf("hosted page: %w", err)
	}
	page.Register(api.HandleOwnURL)
	page.RegisterAuthorize(api.Handle, api.HandleOwnURL)
	authserver.New(s.Service, s.log, api.SpendIPBudget).Register(api.Handle)
	surfaces := compat.Options{Service: s.Service, Logger: s.log, Authenticate: api.AuthenticateKey}
	superface.Register(api.HandleOwnURL, surfaces)
	mindset.Register(api.HandleOwnURL, surfaces)
	humanapi.Register(api.HandleOwnURL, surfaces)
	sessionstorage.Register(api.HandleOwnURL, surfaces)
	apideck.Register(api.HandleOwnURL, surfaces)
	s.mcp = mcp.New(mcp.Options{Service: s.Service, Logger: s.log, Version: currentVersion().Version,
		AuthenticateToken: api.AuthenticateToken, AuthenticateAgentKey: api.AuthenticateAgentKey,
		AuthenticateAccessToken: api.AuthenticateAccessToken, WriteError: api.WriteError})
	s.mcp.Register(api.Handle)
	// Webhook URLs are the apps' own, but reach out like an upstream:
	// the same address guard, and no redirects followed.
	hooks := upstream.NewClient(&upstream.Guard{AllowPrivate: s.cfg.AllowPrivateUpstreams}, webhook.Timeout)
	hooks.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.Webhooks = webhook.New(webhook.Options{Store: s.db, Sealer: ring, Client: hooks, Now: s.cfg.Clock, Log: s.log,
		Count: api.Metrics().WebhookDelivery})
	writeTimeout := s.cfg.WriteTimeout
	if writeTimeout == 0 {
		writeTimeout = 60 * time.Second
	}
	s.http = &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return nil
}

// URL is the public URL of the server.
func (s *Server) URL() string { return s.url }

// Patterns returns every route pattern the server serves: the native
// API's, the hosted page's, the compatible surfaces' and the MCP server's.
func (s *Server) Patterns() []string { return s.api.Patterns() }

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx is done, then stops accepting, drains in-flight
// requests for at most the shutdown timeout, and returns nil.
func (s *Server) Run(ctx context.Context) error {
	// The background tasks run until Run returns.
	bg, stop := context.WithCancel(ctx)
	var tasks sync.WaitGroup
	// A node serves once it hears the connections other nodes store (or
	// its first try failed, or after listenWait): an MCP session it takes
	// before that would miss a user who connects through another node
	// (docs/mcp.md).
	hearing := make(chan struct{})
	hear := func(ctx context.Context) {
		s.db.ListenConnected(ctx, s.log, s.Service.Connected.Publish, func() { close(hearing) })
	}
	for _, task := range []func(context.Context){s.purgeLoop, s.refreshLoop, s.Webhooks.Run, hear} {
		tasks.Go(func() { task(bg) })
	}
	defer func() {
		stop()
		tasks.Wait()
	}()
	select {
	case <-hearing:
	case <-time.After(listenWait):
		s.log.Warn("listen_connected_late")
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	s.log.Info("serving", slog.String("url", s.url), slog.String("addr", s.Addr()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting_down")
	s.mcp.Close()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(sctx); err != nil {
		// What still runs is cut: its connections close and its
		// requests' contexts end, before the store closes under them.
		s.log.Warn("shutdown_incomplete", slog.Any("error", err))
		s.http.Close()
		// Cut, they return soon; the store is not closed under them.
		wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), cutGrace)
		s.api.Wait(wctx)
		wcancel()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped")
	return nil
}

// listenWait bounds how long a starting node waits to hear other nodes'
// connections before it serves all the same.
const listenWait = 10 * time.Second

// minPeriod is the shortest period of a background task serve accepts.
const minPeriod = time.Second

// cutGrace is how long a stopping server waits for the requests it cut at
// --shutdown-timeout to return before it says stopped.
const cutGrace = 2 * time.Second

// purgeBatch bounds one purge transaction, so that it holds SQLite's single
// writer for a few milliseconds at most.
const purgeBatch = 500

// purgeLoop deletes sessions that ended more than the grace period ago,
// and activity rows past their app's retention, in small batches with a
// pause between them, every purge interval.
func (s *Server) purgeLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.purge(ctx, "purged_sessions", func() (int, error) { return s.Service.PurgeSessions(ctx, s.cfg.PurgeGrace, purgeBatch) })
		s.purge(ctx, "purged_activity", func() (int, error) { return s.Service.PurgeActivity(ctx, purgeBatch) })
		s.purge(ctx, "purged_approvals", func() (int, error) { return s.Service.PurgeApprovals(ctx, purgeBatch) })
		s.purge(ctx, "purged_verifications", func() (int, error) { return s.Service.PurgeVerifications(ctx, purgeBatch) })
		s.purge(ctx, "purged_oauth_codes", func() (int, error) { return s.Service.PurgeAuthCodes(ctx, purgeBatch) })
	}
}

// purge runs one batch after the other until a batch is not full.
func (s *Server) purge(ctx context.Context, what string, batch func() (int, error)) {
	total := 0
	for ctx.Err() == nil {
		n, err := batch()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("purge_failed", slog.String("what", what), slog.Any("error", err))
			}
			break
		}
		total += n
		if n < purgeBatch {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	if total > 0 {
		s.log.Info(what, slog.Int("count", total))
	}
}

// Close releases the store (after Run returned) and writes out the log.
func (s *Server) Close() error {
	if s.ln != nil {
		s.ln.Close()
	}
	err := s.db.Close()
	s.logOut.Close()
	return err
}
