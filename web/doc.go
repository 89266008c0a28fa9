// Package web is the desk's web console: the queue, tickets, the knowledge base, reports and the audit
// log, seen and worked from a browser. It talks to the engine through the seams a chat adapter uses
// (events in through Handle, reads through Store.View) and owns what is the web's own: sign-in, sessions,
// the permission of each page, templates and assets. The engine learns nothing about HTTP: a web action
// is a bot.Event like a reaction, so it is checked, written, audited and shown in chat by the same code.
//
// Who is who: a person signs in as the platform identity the desk already knows ("slack:U…",
// "discord:…", "console:…"), with a one-time link (from chat's "!web" or "firstline web link USER") or
// with OpenID Connect. Their tiers and admin rights come from the desk's config ([roles], [[tiers]]) and
// the roles their chat platform reports (Slack user groups, Discord roles), through People.
//
// Files: server.go (Config, routes, headers), perm.go (who may see what), session*.go (sessions and
// their store), auth*.go (sign-in links, sign-out, rate limits), oidc.go (OpenID Connect), csrf.go
// (cross-origin checks), templates.go (rendering); the pages each have their own file.
package web
