// Package admin serves the administration API of a running gateway: API
// keys (create, list, get, revoke) and the audit log (page through, verify).
// It has its own credential, a bearer token, separate from gateway keys.
//
//	POST   /admin/keys              {"name","roles",["expires_in"]} -> 201 {"key","secret"}
//	GET    /admin/keys              -> {"keys":[...]}
//	GET    /admin/keys/{id}         -> {"key":...}
//	DELETE /admin/keys/{id}         revoke -> {"key":...}
//	GET    /admin/audit?after=&limit=  -> {"events":[...],"next_after":N}
//	GET    /admin/audit/verify      -> {"ok":bool, "report":{...}} (?head=SEQ:HASH anchors it)
package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/audit"
	"github.com/aigis-dev/aigis/internal/store"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 64 << 10

// Store is what the admin API needs from persistence.
type Store interface {
	store.Keys
	store.Audit
}

// Options configures the handler.
type Options struct {
	Store Store
	// Token is the admin bearer token. When empty every request is refused
	// (401): the admin API fails closed.
	Token string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

type handler struct {
	st        Store
	tokenHash [sha256.Size]byte
	hasToken  bool
	now       func() time.Time
	mux       *http.ServeMux
}

// New returns the admin API handler. Mount it at /admin/ (it matches full
// paths starting with /admin/).
func New(opts Options) http.Handler {
	h := &handler{st: opts.Store, now: opts.Now, mux: http.NewServeMux()}
	if h.now == nil {
		h.now = time.Now
	}
	if opts.Token != "" {
		h.hasToken = true
		h.tokenHash = sha256.Sum256([]byte(opts.Token))
	}
	h.mux.HandleFunc("POST /admin/keys", h.createKey)
	h.mux.HandleFunc("GET /admin/keys", h.listKeys)
	h.mux.HandleFunc("GET /admin/keys/{id}", h.getKey)
	h.mux.HandleFunc("DELETE /admin/keys/{id}", h.revokeKey)
	h.mux.HandleFunc("GET /admin/audit", h.listAudit)
	h.mux.HandleFunc("GET /admin/audit/verify", h.verifyAudit)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such admin endpoint")
	})
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="aigis-admin"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "a valid admin bearer token is required")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// authorized compares the bearer token with the configured one in constant
// time (over SHA-256 digests, so the length does not leak either).
func (h *handler) authorized(r *http.Request) bool {
	if !h.hasToken {
		return false
	}
	auth := r.Header.Get("Authorization")
	const scheme = "bearer "
	if len(auth) <= len(scheme) || !strings.EqualFold(auth[:len(scheme)], scheme) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(auth[len(scheme):])))
	return subtle.ConstantTimeCompare(got[:], h.tokenHash[:]) == 1
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// CreateKeyRequest is the body of POST /admin/keys.
type CreateKeyRequest struct {
	Name      string   `json:"name"`
	Roles     []string `json:"roles"`
	ExpiresIn string   `json:"expires_in,omitempty"` // "720h", "30d"; empty: never
}

// CreateKeyResponse is the answer to POST /admin/keys: the only time the
// secret is shown.
type CreateKeyResponse struct {
	Key    store.APIKey `json:"key"`
	Secret string       `json:"secret"`
}

// decodeBody reads one bounded JSON object, rejecting unknown fields and
// trailing data.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return fmt.Errorf("content type %q: send application/json", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("body over %d bytes", maxBodyBytes)
		}
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("invalid JSON body: trailing data after the object")
	}
	return nil
}

func (h *handler) createKey(w http.ResponseWriter, r *http.Request) {
	var req CreateKeyRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	ttl, err := apikey.ParseTTL(req.ExpiresIn)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	secret, key, err := apikey.Generate(req.Name, req.Roles, ttl)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if err := h.st.CreateKey(r.Context(), key); err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", "could not store the key")
		return
	}
	writeJSON(w, http.StatusCreated, CreateKeyResponse{Key: key, Secret: secret})
}

func (h *handler) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := h.st.ListKeys(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", "could not list keys")
		return
	}
	if keys == nil {
		keys = []store.APIKey{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (h *handler) getKey(w http.ResponseWriter, r *http.Request) {
	k, err := h.st.GetKey(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "no key with that id")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", "could not read the key")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": k})
}

func (h *handler) revokeKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := h.st.RevokeKey(r.Context(), id, h.now())
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "no key with that id")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", "could not revoke the key")
		return
	}
	k, err := h.st.GetKey(r.Context(), id)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", "key revoked, but could not read it back")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": k})
}

const (
	defaultAuditPage = 100
	maxAuditPage     = 1000
)

// AuditPage is the answer to GET /admin/audit.
type AuditPage struct {
	Events    []audit.Event `json:"events"`
	NextAfter int64         `json:"next_after"` // pass as ?after= for the next page
}

func (h *handler) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, limit := int64(0), defaultAuditPage
	if s := q.Get("after"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			writeError(w, http.StatusBadRequest, "invalid_request", "after must be a non-negative integer (a sequence number)")
			return
		}
		after = v
	}
	if s := q.Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxAuditPage {
			writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("limit must be 1-%d", maxAuditPage))
			return
		}
		limit = v
	}
	evs, err := audit.List(r.Context(), h.st, after, limit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", "could not read the audit log")
		return
	}
	page := AuditPage{Events: evs, NextAfter: after}
	if page.Events == nil {
		page.Events = []audit.Event{}
	}
	if n := len(evs); n > 0 {
		page.NextAfter = evs[n-1].Seq
	}
	writeJSON(w, http.StatusOK, page)
}

func (h *handler) verifyAudit(w http.ResponseWriter, r *http.Request) {
	var o audit.VerifyOptions
	if head := r.URL.Query().Get("head"); head != "" {
		seq, hash, err := audit.ParseAnchor(head)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		o.AnchorSeq, o.AnchorHash = seq, hash
	}
	rep, err := audit.VerifyWith(r.Context(), h.st, o)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", "could not read the audit log")
		return
	}
	if rep.Problems == nil {
		rep.Problems = []audit.Problem{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": rep.OK(), "report": rep})
}
