package media

import (
	"reflect"
	"testing"
	"time"

	"github.com/amendcare/amend/realtime"
)

func TestTURNCredentialsFollowCoturnsRESTFormula(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	urls := []string{"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"}
	for _, tc := range []struct {
		name   string
		urls   []string
		secret string
		want   []realtime.ICEServer
	}{
		{
			// Username: the expiry, now + 12 h, as Unix seconds. Password, computed apart from this
			// code: printf 1700043200 | openssl dgst -sha1 -hmac s3cret -binary | base64
			name: "a secret: the username is the expiry, the password its HMAC-SHA1 under the secret",
			urls: urls, secret: "s3cret",
			want: []realtime.ICEServer{{URLs: urls, Username: "1700043200", Credential: "7OSM/P0A7z2fdbUNm4XITdKOE60="}},
		},
		{
			name: "another secret gives another password for the same expiry",
			urls: urls, secret: "another",
			want: []realtime.ICEServer{{URLs: urls, Username: "1700043200", Credential: "v5mBarBMHPzEcCkOdASPTpByooQ="}},
		},
		{
			name: "no secret: the URLs go out bare, for STUN",
			urls: []string{"stun:stun.example.org:3478"},
			want: []realtime.ICEServer{{URLs: []string{"stun:stun.example.org:3478"}}},
		},
		{name: "no URLs: no ICE servers", secret: "s3cret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := iceServers(tc.urls, tc.secret, now)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
