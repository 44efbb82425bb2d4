package audit

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Keyring holds the AES-256 keys for body encryption: new events are sealed
// with the current key; every key in the ring still opens old events, so a
// key can be rotated by adding a new current key and keeping the old one.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// maxKeyIDLen bounds a key id.
const maxKeyIDLen = 64

// NewKeyring builds a keyring. keys maps key id to a 32-byte key; current
// names the key new events are encrypted with and must be in keys.
func NewKeyring(current string, keys map[string][]byte) (*Keyring, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("audit: current body key %q is not in the keyring", current)
	}
	kr := &Keyring{current: current, aeads: make(map[string]cipher.AEAD, len(keys))}
	for id, k := range keys {
		if err := checkKeyID(id); err != nil {
			return nil, err
		}
		if len(k) != 32 {
			return nil, fmt.Errorf("audit: body key %q is %d bytes, need 32 (AES-256)", id, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("audit: body key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("audit: body key %q: %w", id, err)
		}
		kr.aeads[id] = aead
	}
	return kr, nil
}

func checkKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLen {
		return fmt.Errorf("audit: body key id must be 1-%d characters", maxKeyIDLen)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("audit: body key id %q: use letters, digits, '-', '_' or '.'", id)
		}
	}
	return nil
}

// CurrentKeyID is the id new events are encrypted with.
func (k *Keyring) CurrentKeyID() string { return k.current }

// ParseKey decodes a 32-byte key written as hex (64 characters) or base64
// (standard or URL alphabet, padded or not).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) > 128 {
		return nil, errors.New("audit: body key is too long: give 32 bytes as hex or base64")
	}
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("audit: body key decodes to %d bytes, need 32 (AES-256)", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("audit: body key is neither 64 hex characters nor base64 of 32 bytes")
}

// ParseKeySpec parses "ID:KEY" or a bare "KEY" (see ParseKey). A bare key
// gets the id KeyID(key), so the same key always has the same id.
func ParseKeySpec(spec string) (id string, key []byte, err error) {
	idPart, keyPart, found := strings.Cut(spec, ":")
	if !found {
		keyPart, idPart = idPart, ""
	}
	key, err = ParseKey(keyPart)
	if err != nil {
		return "", nil, err
	}
	if idPart == "" {
		return KeyID(key), key, nil
	}
	if err := checkKeyID(idPart); err != nil {
		return "", nil, err
	}
	return idPart, key, nil
}

// KeyID derives a stable, non-secret id from a key: "k" and the first 12
// hex digits of SHA-256 over a domain label and the key.
func KeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("aigis/audit/key-id/v1\x00"))
	h.Write(key)
	return "k" + hex.EncodeToString(h.Sum(nil))[:12]
}

// KeyringFromSpecs builds a keyring from "ID:KEY" or "KEY" specs; the first
// spec is the current key.
func KeyringFromSpecs(specs []string) (*Keyring, error) {
	if len(specs) == 0 {
		return nil, errors.New("audit: no body keys given")
	}
	keys := make(map[string][]byte, len(specs))
	var current string
	for i, s := range specs {
		id, k, err := ParseKeySpec(s)
		if err != nil {
			return nil, fmt.Errorf("audit: body key #%d: %w", i+1, err)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("audit: body key id %q given twice", id)
		}
		keys[id] = k
		if i == 0 {
			current = id
		}
	}
	return NewKeyring(current, keys)
}

func bodyAAD(eventID, part string) []byte {
	return []byte("aigis/audit/body/v1\x00" + eventID + "\x00" + part)
}

// seal encrypts the plaintext bodies of ev into ev.Bodies with the current
// key and clears the plaintext.
func (k *Keyring) seal(ev *Event) error {
	aead := k.aeads[k.current]
	b := &Bodies{KeyID: k.current}
	var err error
	if ev.RequestBody != nil {
		if b.Request, err = sealPart(aead, ev.RequestBody, bodyAAD(ev.ID, "request")); err != nil {
			return err
		}
	}
	if ev.ResponseBody != nil {
		if b.Response, err = sealPart(aead, ev.ResponseBody, bodyAAD(ev.ID, "response")); err != nil {
			return err
		}
	}
	ev.Bodies = b
	ev.RequestBody, ev.ResponseBody = nil, nil
	return nil
}

func sealPart(aead cipher.AEAD, plain, aad []byte) ([]byte, error) {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("audit: body nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, aad), nil
}

// ErrUnknownKey is returned by Decrypt when the event was encrypted with a
// key the keyring does not hold.
var ErrUnknownKey = errors.New("audit: body key not in keyring")

// Decrypt fills ev.RequestBody and ev.ResponseBody from ev.Bodies. An event
// without bodies is left alone.
func (k *Keyring) Decrypt(ev *Event) error {
	if ev.Bodies == nil {
		return nil
	}
	aead, ok := k.aeads[ev.Bodies.KeyID]
	if !ok {
		return fmt.Errorf("%w: event %s uses key %q", ErrUnknownKey, ev.ID, ev.Bodies.KeyID)
	}
	var err error
	if ev.Bodies.Request != nil {
		if ev.RequestBody, err = openPart(aead, ev.Bodies.Request, bodyAAD(ev.ID, "request")); err != nil {
			return fmt.Errorf("audit: decrypt request body of event %s: %w", ev.ID, err)
		}
	}
	if ev.Bodies.Response != nil {
		if ev.ResponseBody, err = openPart(aead, ev.Bodies.Response, bodyAAD(ev.ID, "response")); err != nil {
			return fmt.Errorf("audit: decrypt response body of event %s: %w", ev.ID, err)
		}
	}
	return nil
}

func openPart(aead cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("ciphertext too short")
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, errors.New("authentication failed (wrong key or altered ciphertext)")
	}
	return plain, nil
}
