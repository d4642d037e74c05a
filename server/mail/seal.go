package mail

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// sealer encrypts what a queued message carries that must not rest in the database in the clear:
// its link (an invite's one-time token, a reset token) and, in the development mailbox, its
// bodies. The key lives outside the database (configuration or the data directory).
type sealer struct{ aead cipher.AEAD }

// KeySize is the length of the sealing key in bytes.
const KeySize = 32

func newSealer(key []byte) (sealer, error) {
	if len(key) != KeySize {
		return sealer{}, fmt.Errorf("mail key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, err
	}
	aead, err := cipher.NewGCM(block)
	return sealer{aead: aead}, err
}

func (s sealer) seal(plain string) string {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), nil))
}

var errSealedElsewhere = errors.New("sealed with another mail key")

func (s sealer) open(sealed string) (string, error) {
	data, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(data) < s.aead.NonceSize() {
		return "", errSealedElsewhere
	}
	plain, err := s.aead.Open(nil, data[:s.aead.NonceSize()], data[s.aead.NonceSize():], nil)
	if err != nil {
		return "", errSealedElsewhere
	}
	return string(plain), nil
}

// NewKey makes a random sealing key.
func NewKey() []byte {
	key := make([]byte, KeySize)
	rand.Read(key)
	return key
}
