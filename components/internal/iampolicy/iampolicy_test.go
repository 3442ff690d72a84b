package iampolicy

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMarshal(t *testing.T) {
	doc := New(Statement{
		Sid:       "One",
		Effect:    Allow,
		Principal: &Principal{Service: Values{"pods.eks.amazonaws.com"}},
		Action:    Values{"sts:AssumeRole", "sts:TagSession"},
		Condition: Condition{
			"StringEquals": {"b:key": {"x"}, "a:key": {"y&z"}},
		},
	})
	got, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"One","Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"a:key":"y&z","b:key":"x"}}}]}`
	if got != want {
		t.Errorf("JSON() =\n%s\nwant\n%s", got, want)
	}
	if n, _ := doc.Size(); n != len(want) {
		t.Errorf("Size() = %d, want %d", n, len(want))
	}

	var back Document
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatal(err)
	}
	if again, _ := back.JSON(); again != want {
		t.Errorf("round trip changed the document:\n%s", again)
	}
}

func TestValidate(t *testing.T) {
	ok := Statement{Sid: "A", Effect: Allow, Action: Values{"s3:GetObject"}, Resource: Values{"arn:aws:s3:::b/*"}}
	cases := []struct {
		name string
		doc  Document
		want string
	}{
		{"empty", New(), "policy has no statements"},
		{"no sid", New(Statement{Effect: Allow, Action: Values{"s3:GetObject"}}), "statement 0 has no Sid"},
		{"duplicate sid", New(ok, ok), `statement Sid "A" is used twice`},
		{"bad effect", New(Statement{Sid: "B", Effect: "allow", Action: Values{"x:Y"}}), `has effect "allow"`},
		{"no action", New(Statement{Sid: "C", Effect: Allow}), `statement "C" has no actions`},
		{"empty resource", New(Statement{Sid: "D", Effect: Allow, Action: Values{"x:Y"}, Resource: Values{" "}}), `statement "D" has an empty action or resource`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.doc.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want error containing %q", err, tc.want)
			}
		})
	}
	if err := New(ok).Validate(); err != nil {
		t.Errorf("valid document: %v", err)
	}
}
