package redact_test

import (
	"fmt"
	"testing"

	"github.com/firstline-desk/firstline/redact"
)

// Realistic chat messages: one without hints of a secret, one that talks about a password without
// giving it, one with secrets.
const (
	chatPlain = "Hi! Since this morning my laptop won't connect to the VPN from home. I restarted it twice, " +
		"the Wi-Fi works and Teams is fine, but GlobalProtect says 'gateway unreachable' (error 0x80070005). " +
		"Ticket T-004512 from last week was about the same thing. Can someone call me at ext. 4412?"
	chatPassword = "Hi, I forgot my password again and the reset link from the portal expired before I could " +
		"use it. Outlook keeps asking for my password every few minutes and now my account is locked. " +
		"Can you unlock it and send me a new reset link? I'm at desk 3.12 until 5pm."
	chatSecrets = "Hi, the backup job fails since the rotation. My new password is Tr0ub4dor&3 and the script " +
		"uses SLACK_BOT_TOKEN=" + slackBot + " to post, and curl -H 'Authorization: Bearer " + jwt + "' " +
		"returns 401. The card for the renewal is 4111 1111 1111 1111."
)

func BenchmarkString(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"plain", chatPlain},
		{"password-talk", chatPassword},
		{"secrets", chatSecrets},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				redact.String(bc.text)
			}
		})
	}
}

// BenchmarkLongInput redacts adversarial inputs at two sizes: ns/op growing 4x from 256 KiB to 1 MiB
// means linear; 16x, quadratic.
func BenchmarkLongInput(b *testing.B) {
	for _, size := range []int{1 << 18, 1 << 20} {
		for name, in := range longInputs(size) {
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(in)))
				for b.Loop() {
					redact.String(in)
				}
			})
		}
	}
}
