package awsfake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// authorization is a parsed SigV4 Authorization header.
type authorization struct {
	AccessKeyID, Date, Region, Service string
	SignedHeaders                      []string
	Signature                          string
}

func parseAuthorization(h string) (authorization, bool) {
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(h, algo) {
		return authorization{}, false
	}
	var a authorization
	for _, part := range strings.Split(strings.TrimPrefix(h, algo), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return authorization{}, false
		}
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return authorization{}, false
			}
			a.AccessKeyID, a.Date, a.Region, a.Service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = v
		}
	}
	return a, a.AccessKeyID != "" && a.Signature != "" && len(a.SignedHeaders) > 0
}

// authenticate verifies a request's SigV4 signature with the secret of the
// session its access key belongs to, as AWS does: the signature is
// recomputed over the signed headers, and the signing time must be within
// 15 minutes. It returns the session and the signing region.
func (c *Cloud) authenticate(r *http.Request, service string) (*Session, *Error) {
	s, _, err := c.authenticateRegion(r, service)
	return s, err
}

func (c *Cloud) authenticateRegion(r *http.Request, service string) (*Session, string, *Error) {
	a, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		if r.URL.Query().Get("X-Amz-Signature") != "" {
			return nil, "", errorf(403, "AccessDenied", "presigned requests are not modelled by the rig")
		}
		return nil, "", errorf(403, "AccessDenied", "Anonymous access is not allowed: the request is not signed")
	}
	if a.Service != service {
		return nil, "", errorf(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: '%s'.", service)
	}
	session, e := c.sessionFor(a.AccessKeyID, r.Header.Get("X-Amz-Security-Token"))
	if e != nil {
		return nil, "", e
	}
	signed, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return nil, "", errorf(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	if d := c.now().Sub(signed); d > 15*time.Minute || d < -15*time.Minute {
		return nil, "", errorf(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, "", errorf(400, "IncompleteBody", "%v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	check, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return nil, "", errorf(400, "InvalidRequest", "%v", err)
	}
	for _, h := range a.SignedHeaders {
		switch h {
		case "host":
		case "content-length":
			check.ContentLength = r.ContentLength
		default:
			for _, v := range r.Header.Values(h) {
				check.Header.Add(h, v)
			}
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	creds := aws.Credentials{AccessKeyID: session.AccessKeyID, SecretAccessKey: session.SecretAccessKey, SessionToken: session.SessionToken}
	if err := signer.SignHTTP(context.Background(), creds, check, payloadHash, service, a.Region, signed); err != nil {
		return nil, "", errorf(500, "InternalError", "%v", err)
	}
	want, ok := parseAuthorization(check.Header.Get("Authorization"))
	if !ok || want.Signature != a.Signature {
		return nil, "", errorf(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}
	c.recordKeyUse(session, service, a.Region, r.Method+" "+r.URL.Path)
	return session, a.Region, nil
}
