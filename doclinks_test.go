package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// linkedDocs are the Markdown files whose relative links must resolve: the
// README, every reference page in docs/ and the end-to-end rig's README.
func linkedDocs(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatal("docs/ holds no pages")
	}
	sort.Strings(pages)
	return append([]string{"README.md", "e2e/README.md"}, pages...)
}

// TestDocLinks fails on a relative link between the README, docs/*.md and
// e2e/README.md whose file does not exist, or whose #anchor names no
// heading of the target (anchors as GitHub renders them).
func TestDocLinks(t *testing.T) {
	for _, problem := range checkDocLinks(linkedDocs(t)) {
		t.Error(problem)
	}
}

// TestReadmeLinksEveryPage fails when a page in docs/ is not linked from the
// README, where readers look for the reference.
func TestReadmeLinksEveryPage(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, l := range markdownLinks(string(raw)) {
		path, _, _ := strings.Cut(l.target, "#")
		linked[filepath.Clean(path)] = true
	}
	for _, page := range linkedDocs(t) {
		if strings.HasPrefix(page, "docs/") && !linked[page] {
			t.Errorf("README.md links no %s; add it to the reference list", page)
		}
	}
}

// TestCheckDocLinksReportsBrokenLinks shows the checker failing: a missing
// file, a missing anchor, and an anchor in the same file.
func TestCheckDocLinksReportsBrokenLinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	page := write("docs/page.md", "# Page\n\n## The `waitFor` annotation (4.18+)\n\n## Notes\n\n## Notes\n\n```md\n## Not a heading\n```\n")
	readme := write("README.md", strings.Join([]string{
		"[ok](docs/page.md) [ok](docs/page.md#the-waitfor-annotation-418)",
		"[ok](docs/page.md#notes-1) [ok](#readme) [web](https://example.com/x.md#y)",
		"[gone](docs/missing.md) [no anchor](docs/page.md#not-a-heading) [self](#nowhere)",
		"`[in code](docs/missing-too.md)`",
		"[ref]: docs/also-missing.md",
		"# Readme",
	}, "\n"))
	problems := checkDocLinks([]string{readme, page})
	missing, pageFile := filepath.Join(dir, "docs"), filepath.Join(dir, "docs", "page.md")
	want := []string{
		readme + ":3: [gone](docs/missing.md): " + filepath.Join(missing, "missing.md") + " does not exist",
		readme + ":3: [no anchor](docs/page.md#not-a-heading): " + pageFile + " has no heading with anchor #not-a-heading (it has #notes, #notes-1, #page, #the-waitfor-annotation-418)",
		readme + ":3: [self](#nowhere): " + readme + " has no heading with anchor #nowhere (it has #readme)",
		readme + ":5: [ref]: docs/also-missing.md: " + filepath.Join(missing, "also-missing.md") + " does not exist",
	}
	if strings.Join(problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("checkDocLinks found\n%s\nwant\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
}

func TestGitHubAnchor(t *testing.T) {
	for heading, want := range map[string]string{
		"Security model": "security-model",
		"A backup location does not become `Available`": "a-backup-location-does-not-become-available",
		"Use from other languages (TypeScript, YAML)":   "use-from-other-languages-typescript-yaml",
		"The [plan](x.md) snapshots":                    "the-plan-snapshots",
		"KMS keys: `ebsKmsKeyArn` & co.":                "kms-keys-ebskmskeyarn--co",
		"snake_case stays":                              "snake_case-stays",
	} {
		if got := githubAnchor(heading); got != want {
			t.Errorf("githubAnchor(%q) = %q, want %q", heading, got, want)
		}
	}
}

type markdownLink struct {
	line         int
	text, target string
	reference    bool // a [label]: target definition
}

func (l markdownLink) String() string {
	if l.reference {
		return fmt.Sprintf("[%s]: %s", l.text, l.target)
	}
	return fmt.Sprintf("[%s](%s)", l.text, l.target)
}

var (
	fencePattern      = regexp.MustCompile("^ {0,3}(```|~~~)")
	codeSpanPattern   = regexp.MustCompile("`+[^`]*`+")
	inlineLinkPattern = regexp.MustCompile(`!?\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	refDefPattern     = regexp.MustCompile(`^ {0,3}\[([^\]]+)\]:\s*<?([^\s>]+)>?`)
	atxPattern        = regexp.MustCompile(`^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$`)
	htmlAnchorPattern = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	schemePattern     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
)

// markdownLines calls fn with each line outside fenced code blocks.
func markdownLines(text string, fn func(n int, line string)) {
	var fence string
	for i, line := range strings.Split(text, "\n") {
		if m := fencePattern.FindStringSubmatch(line); m != nil {
			switch {
			case fence == "":
				fence = m[1]
				continue
			case fence == m[1]:
				fence = ""
				continue
			}
		}
		if fence == "" {
			fn(i+1, line)
		}
	}
}

// markdownLinks returns the inline links and reference definitions of a
// Markdown text, ignoring code blocks and code spans.
func markdownLinks(text string) []markdownLink {
	var links []markdownLink
	markdownLines(text, func(n int, line string) {
		if m := refDefPattern.FindStringSubmatch(line); m != nil {
			links = append(links, markdownLink{line: n, text: m[1], target: m[2], reference: true})
			return
		}
		for _, m := range inlineLinkPattern.FindAllStringSubmatch(codeSpanPattern.ReplaceAllStringFunc(line, inertCode), -1) {
			links = append(links, markdownLink{line: n, text: m[1], target: m[2]})
		}
	})
	return links
}

// inertCode keeps a code span's text but not its backticks, brackets or
// parentheses, so that code never reads as a link while a link's text may
// hold code.
func inertCode(span string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '`':
			return -1
		case '[', ']', '(', ')':
			return ' '
		}
		return r
	}, span)
}

// markdownAnchors returns the anchors GitHub gives a Markdown text's
// headings (a repeated heading gets -1, -2, ...), and explicit <a id>s.
func markdownAnchors(text string) map[string]bool {
	anchors, seen := map[string]bool{}, map[string]int{}
	markdownLines(text, func(_ int, line string) {
		for _, m := range htmlAnchorPattern.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		m := atxPattern.FindStringSubmatch(line)
		if m == nil {
			return
		}
		anchor := githubAnchor(m[1])
		if n := seen[anchor]; n > 0 {
			seen[anchor]++
			anchor = fmt.Sprintf("%s-%d", anchor, n)
		} else {
			seen[anchor] = 1
		}
		anchors[anchor] = true
	})
	return anchors
}

var (
	headingLinkPattern = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	htmlTagPattern     = regexp.MustCompile(`<[^>]+>`)
)

// githubAnchor is the anchor GitHub renders for a heading: the heading's
// text, lower case, without punctuation other than - and _, with each space
// a hyphen.
func githubAnchor(heading string) string {
	text := headingLinkPattern.ReplaceAllString(heading, "$1")
	text = htmlTagPattern.ReplaceAllString(text, "")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkDocLinks returns one line per broken relative link in files: the
// file and line, the link, and why.
func checkDocLinks(files []string) []string {
	var problems []string
	anchorsOf := map[string]map[string]bool{}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", file, err))
			continue
		}
		for _, l := range markdownLinks(string(raw)) {
			if l.target == "" || schemePattern.MatchString(l.target) {
				continue
			}
			if why := checkLinkTarget(file, l.target, anchorsOf); why != "" {
				problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", file, l.line, l, why))
			}
		}
	}
	return problems
}

// checkLinkTarget says why target, linked from file, is broken, or "".
func checkLinkTarget(file, target string, anchorsOf map[string]map[string]bool) string {
	rawPath, anchor, _ := strings.Cut(target, "#")
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		return fmt.Sprintf("the path is not URL-encoded properly: %v", err)
	}
	dest := file
	if path != "" {
		dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
	}
	info, err := os.Stat(dest)
	if err != nil {
		return dest + " does not exist"
	}
	if anchor == "" {
		return ""
	}
	if info.IsDir() || !strings.HasSuffix(dest, ".md") {
		return fmt.Sprintf("%s is not a Markdown file, so #%s cannot be checked", dest, anchor)
	}
	anchors, ok := anchorsOf[dest]
	if !ok {
		raw, err := os.ReadFile(dest)
		if err != nil {
			return err.Error()
		}
		anchors = markdownAnchors(string(raw))
		anchorsOf[dest] = anchors
	}
	if anchors[anchor] {
		return ""
	}
	known := make([]string, 0, len(anchors))
	for a := range anchors {
		known = append(known, "#"+a)
	}
	sort.Strings(known)
	return fmt.Sprintf("%s has no heading with anchor #%s (it has %s)", dest, anchor, strings.Join(known, ", "))
}
