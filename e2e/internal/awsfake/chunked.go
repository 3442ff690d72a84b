package awsfake

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// decodeUnsignedChunked decodes an aws-chunked body sent with
// STREAMING-UNSIGNED-PAYLOAD-TRAILER (what the AWS SDKs send over TLS with a
// trailing checksum), checks the trailing checksum as S3 does, and hands the
// plain object on. Signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) are
// left to gofakes3, which decodes them.
func decodeUnsignedChunked(r *http.Request) *Error {
	if r.Header.Get("X-Amz-Content-Sha256") != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
		return nil
	}
	br := bufio.NewReader(r.Body)
	var body bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return errorf(400, "IncompleteBody", "reading a chunk header: %v", err)
		}
		size, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(line, ";", 2)[0]), 16, 64)
		if err != nil {
			return errorf(400, "InvalidChunkSizeError", "chunk size %q", strings.TrimSpace(line))
		}
		if size == 0 {
			break
		}
		if _, err := io.CopyN(&body, br, size); err != nil {
			return errorf(400, "IncompleteBody", "reading a chunk: %v", err)
		}
		if crlf, _ := br.ReadString('\n'); crlf != "\r\n" {
			return errorf(400, "IncompleteBody", "chunk not ended by CRLF")
		}
	}
	trailers := map[string]string{}
	for {
		line, err := br.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return errorf(400, "MalformedTrailerError", "trailer %q", line)
		}
		trailers[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		if err != nil {
			break
		}
	}
	for _, name := range strings.Split(r.Header.Get("X-Amz-Trailer"), ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		want, ok := trailers[name]
		if !ok {
			return errorf(400, "MalformedTrailerError", "the declared trailer %s is missing", name)
		}
		var h hash.Hash
		switch name {
		case "x-amz-checksum-crc32":
			h = crc32.NewIEEE()
		case "x-amz-checksum-crc32c":
			h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
		case "x-amz-checksum-sha1":
			h = sha1.New()
		case "x-amz-checksum-sha256":
			h = sha256.New()
		default:
			return errorf(501, "NotImplemented", "the rig does not model the trailing checksum %s", name)
		}
		h.Write(body.Bytes())
		if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
			return errorf(400, "BadDigest", "The %s you specified did not match the calculated checksum (%s).", name, got)
		}
	}
	r.Body = io.NopCloser(&body)
	r.ContentLength = int64(body.Len())
	r.Header.Set("Content-Length", strconv.Itoa(body.Len()))
	r.Header.Del("X-Amz-Decoded-Content-Length")
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	enc := []string{}
	for _, e := range strings.Split(r.Header.Get("Content-Encoding"), ",") {
		if e = strings.TrimSpace(e); e != "" && e != "aws-chunked" {
			enc = append(enc, e)
		}
	}
	if len(enc) == 0 {
		r.Header.Del("Content-Encoding")
	} else {
		r.Header.Set("Content-Encoding", strings.Join(enc, ","))
	}
	return nil
}
