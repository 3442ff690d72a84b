package awsfake

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// STSHandler serves STS's Query API (form-encoded requests, XML answers, as
// the AWS SDKs speak it) for the two calls the rig models.
func (c *Cloud) STSHandler(keys JWKSource) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			writeSTSError(w, errorf(400, "InvalidAction", "STS takes POST requests"))
			return
		}
		// Read the form from a copy: the signature check needs the body.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeSTSError(w, errorf(400, "IncompleteBody", "%v", err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			writeSTSError(w, errorf(400, "MalformedQueryString", "%v", err))
			return
		}
		r.Form = form
		if v := r.Form.Get("Version"); v != "2011-06-15" {
			writeSTSError(w, errorf(400, "InvalidAction", "Version %q is not 2011-06-15", v))
			return
		}
		switch action := r.Form.Get("Action"); action {
		case "AssumeRoleWithWebIdentity":
			c.serveAssumeRoleWithWebIdentity(w, r, keys)
		case "GetCallerIdentity":
			s, err := c.authenticate(r, "sts")
			if err != nil {
				writeSTSError(w, err)
				return
			}
			writeXML(w, getCallerIdentityResponse{Result: callerIdentity{Arn: s.caller(), UserID: s.AccessKeyID, Account: s.Account}, Meta: newMeta()})
		default:
			writeSTSError(w, errorf(400, "InvalidAction", "Could not find operation %s for version 2011-06-15 (the rig models AssumeRoleWithWebIdentity and GetCallerIdentity)", action))
		}
	})
}

func (c *Cloud) serveAssumeRoleWithWebIdentity(w http.ResponseWriter, r *http.Request, keys JWKSource) {
	f := r.Form
	for _, p := range []string{"RoleArn", "RoleSessionName", "WebIdentityToken"} {
		if f.Get(p) == "" {
			writeSTSError(w, errorf(400, "MissingParameter", "The request must contain the parameter %s", p))
			return
		}
	}
	for _, p := range []string{"Policy", "PolicyArns.member.1", "ProviderId"} {
		if f.Get(p) != "" {
			writeSTSError(w, errorf(400, "InvalidParameterValue", "parameter %s is not modelled by the rig", p))
			return
		}
	}
	duration := 0
	if d := f.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			writeSTSError(w, errorf(400, "ValidationError", "DurationSeconds %q", d))
			return
		}
		duration = n
	}
	s, err := c.AssumeRoleWithWebIdentity(f.Get("RoleArn"), f.Get("RoleSessionName"), f.Get("WebIdentityToken"), duration, keys)
	if err != nil {
		writeSTSError(w, err)
		return
	}
	writeXML(w, assumeRoleWithWebIdentityResponse{
		Result: assumeRoleWithWebIdentityResult{
			Credentials:     newCredentials(s),
			AssumedRoleUser: assumedRoleUser{Arn: s.AssumedRoleARN, AssumedRoleID: "AROA" + s.AccessKeyID[4:] + ":" + f.Get("RoleSessionName")},
			Subject:         s.Subject,
		},
		Meta: newMeta(),
	})
}

type responseMeta struct {
	RequestID string `xml:"RequestId"`
}

func newMeta() responseMeta { return responseMeta{RequestID: randomHex(16)} }

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

func newCredentials(s *Session) stsCredentials {
	return stsCredentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, Expiration: s.Expires.Format(time.RFC3339)}
}

type assumedRoleUser struct {
	Arn           string
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type assumeRoleWithWebIdentityResult struct {
	Credentials     stsCredentials
	AssumedRoleUser assumedRoleUser
	Subject         string `xml:"SubjectFromWebIdentityToken"`
}

type assumeRoleWithWebIdentityResponse struct {
	XMLName xml.Name                        `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithWebIdentityResponse"`
	Result  assumeRoleWithWebIdentityResult `xml:"AssumeRoleWithWebIdentityResult"`
	Meta    responseMeta                    `xml:"ResponseMetadata"`
}

type callerIdentity struct {
	Arn     string
	UserID  string `xml:"UserId"`
	Account string
}

type getCallerIdentityResponse struct {
	XMLName xml.Name       `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result  callerIdentity `xml:"GetCallerIdentityResult"`
	Meta    responseMeta   `xml:"ResponseMetadata"`
}

type stsErrorResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

func writeSTSError(w http.ResponseWriter, err error) {
	e, ok := err.(*Error)
	if !ok {
		e = errorf(500, "InternalFailure", "%v", err)
	}
	var resp stsErrorResponse
	resp.Error.Type, resp.Error.Code, resp.Error.Message = "Sender", e.Code, e.Message
	if e.Status >= 500 {
		resp.Error.Type = "Receiver"
	}
	resp.RequestID = randomHex(16)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	_ = xml.NewEncoder(w).Encode(resp)
}

func writeXML(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "text/xml")
	if _, err := fmt.Fprint(w, xml.Header); err != nil {
		return
	}
	_ = xml.NewEncoder(w).Encode(v)
}
