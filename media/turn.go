package media

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/amendcare/amend/realtime"
)

// TURNCredentialLifetime is how long the TURN credentials handed out with an offer stay valid: a
// long session with a break fits, and a rejoin gets fresh ones with its new offer.
const TURNCredentialLifetime = 12 * time.Hour

// iceServers returns the ICE servers a client is told to use, with TURN credentials in the form of
// coturn's use-auth-secret (the "TURN REST API"): the username is the expiry as Unix seconds, the
// password base64(HMAC-SHA1(secret, username)). No user's name or id goes into it: the TURN server
// needs none. Without a secret the URLs are handed out bare (STUN needs no credentials).
func iceServers(urls []string, secret string, now time.Time) []realtime.ICEServer {
	if len(urls) == 0 {
		return nil
	}
	server := realtime.ICEServer{URLs: urls}
	if secret != "" {
		server.Username = strconv.FormatInt(now.Add(TURNCredentialLifetime).Unix(), 10)
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write([]byte(server.Username))
		server.Credential = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return []realtime.ICEServer{server}
}
