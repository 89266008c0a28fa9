package main

import "strings"

// A command that reads or tends the desk's records (tickets, report, audit, kb export and search, check,
// backup, erase-user, web link, migrate) connects to no chat platform, model, monitor or action target,
// so it does not need their credentials. They are secrets, kept in the environment of the desk's service
// (an EnvironmentFile, a container's secrets), and a weekly `firstline report` run from cron, or an
// admin's shell, does not have them: reading the config as the desk does refused it for a token nobody
// uses there. These commands read it with offlineConfig: a credential of a connection whose ${ENV}
// variable is unset is left empty, and the problems Validate finds with that key are not theirs. Every
// other key is read as the desk reads it (the store's dsn, the knowledge base's folder, the tiers), so a
// command never runs on a config the desk would refuse for something the command uses.

// offlineConfig is config for a command that opens no connection.
func (m *Main) offlineConfig() (Config, error) { return m.loadConfig(true) }

// connectionKeys are the config's sections that configure a connection the offline commands never open.
var connectionKeys = []string{"slack.", "discord.", "llm.", "alerts.", "actions[", "web.oidc."}

// connectionKey reports whether key (slack.bot_token, actions[2].headers.Authorization) belongs to a
// connection.
func connectionKey(key string) bool {
	for _, p := range connectionKeys {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// unsetCredentials takes out of problems those that say a connection's variable is unset (as expandEnv
// writes them: "KEY: environment variable NAME is not set") and returns the keys they name.
func unsetCredentials(problems []string) (kept, keys []string) {
	for _, p := range problems {
		key, rest, ok := strings.Cut(p, ": ")
		if ok && strings.HasPrefix(rest, "environment variable ") && strings.HasSuffix(rest, " is not set") && connectionKey(key) {
			keys = append(keys, key)
			continue
		}
		kept = append(kept, p)
	}
	return kept, keys
}

// withoutKeys is problems without those about one of keys: a key left empty because its variable is
// unset is not a mistake in the file.
func withoutKeys(problems, keys []string) []string {
	var kept []string
	for _, p := range problems {
		about := false
		for _, k := range keys {
			if strings.HasPrefix(p, k+":") || strings.HasPrefix(p, k+" ") {
				about = true
				break
			}
		}
		if !about {
			kept = append(kept, p)
		}
	}
	return kept
}
