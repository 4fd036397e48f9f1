package upstream

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
)

// maxTokenAnswer is how much of a token answer golang.org/x/oauth2 reads.
const maxTokenAnswer = 1 << 20

// tokenAnswers is the transport of token requests. golang.org/x/oauth2
// refuses a whole JSON answer whose expires_in it cannot read as a 64-bit
// integer (1e10, 3600.0, 2^63, "99999999999999999999", "soon", true), and
// with it a refresh token the provider has just rotated, which would leave
// the connection holding a dead one. A number, or a string holding one,
// reaches it as the integer it stands for, saturated, in a string, which it
// reads like PayPal's; lifetime caps it as any other. Any other value is
// taken out: the answer gives no lifetime (docs/oauth-refresh.md).
type tokenAnswers struct{ base http.RoundTripper }

func (t tokenAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.base.RoundTrip(req)
	if err != nil || res.StatusCode < 200 || res.StatusCode > 299 {
		return res, err
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		return res, nil
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxTokenAnswer+1))
	if err != nil {
		res.Body.Close()
		return nil, err
	}
	if len(body) > maxTokenAnswer {
		// Too long to be read whole: as it came.
		res.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), res.Body), res.Body}
		return res, nil
	}
	res.Body.Close()
	body = integralExpiresIn(body)
	res.Body, res.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	res.Header.Del("Content-Length")
	return res, nil
}

// jsonNumber is the syntax of a JSON number.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// integralExpiresIn returns a JSON token answer with its expires_in, when
// that is not a 64-bit integer, written as the integer it stands for
// (towards zero, saturated) in a string when it is a number or a string
// holding one, and taken out when it is neither (a word, a boolean, an
// object); any other answer as it is.
func integralExpiresIn(body []byte) []byte {
	var answer map[string]json.RawMessage
	if json.Unmarshal(body, &answer) != nil {
		return body
	}
	raw, ok := answer["expires_in"]
	if !ok || string(raw) == "null" {
		return body
	}
	text := string(raw)
	var quoted string
	if json.Unmarshal(raw, &quoted) == nil {
		text = quoted
	}
	switch _, err := strconv.ParseInt(text, 10, 64); {
	case !jsonNumber.MatchString(text):
		delete(answer, "expires_in")
	case err == nil:
		return body
	default:
		f, _ := strconv.ParseFloat(text, 64) // ±Inf past float64's range
		var n int64
		switch {
		case f >= math.MaxInt64:
			n = math.MaxInt64
		case f <= math.MinInt64:
			n = math.MinInt64
		default:
			n = int64(f)
		}
		answer["expires_in"], _ = json.Marshal(strconv.FormatInt(n, 10))
	}
	out, err := json.Marshal(answer)
	if err != nil {
		return body
	}
	return out
}
