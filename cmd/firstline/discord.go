package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	"github.com/firstline-desk/firstline/adapters/discord"
)

var applicationIDPattern = regexp.MustCompile(`^[0-9]{15,21}$`)

func (m *Main) discordInvite(_ context.Context, args []string) error {
	fs := m.flagSet("discord invite")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	var id string
	switch len(rest) {
	case 0:
		// A bot token starts with the bot's user id in base64, which is also its application's id.
		cfg, err := m.config()
		if err != nil {
			return err
		}
		if id = applicationIDFromToken(cfg.Discord.Token); id == "" {
			return usageError("discord invite needs the application id (Developer Portal > your application > General Information > Application ID), or a config with discord.token")
		}
	case 1:
		id = rest[0]
	default:
		return usageError("discord invite takes one application id")
	}
	if !applicationIDPattern.MatchString(id) {
		return usageError("%q is not an application id: it is a number like 1234567890123456789", id)
	}
	fmt.Fprintf(m.Stdout, "https://discord.com/oauth2/authorize?client_id=%s&scope=bot+applications.commands&permissions=%d\n", id, discord.Permissions)
	return nil
}

func applicationIDFromToken(token string) string {
	first, _, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(token), "Bot "), ".")
	if !ok {
		return ""
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.StdEncoding, base64.RawURLEncoding, base64.URLEncoding} {
		if b, err := enc.DecodeString(first); err == nil && applicationIDPattern.Match(b) {
			return string(b)
		}
	}
	return ""
}
