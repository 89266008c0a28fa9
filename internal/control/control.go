// Package control is how a command reaches the running desk. The desk holds bbolt's exclusive lock on
// the data file, so no other process can open the file while it runs; "firstline backup" and "firstline
// check" ask the desk instead, over a Unix socket next to the file (DATA/firstline.db.sock, mode 0600, so
// only the desk's own user, and root, can connect).
//
// Protocol: one request per connection. The client writes one JSON object on one line, the desk answers
// with one JSON object on one line and closes the connection:
//
//	{"op":"ping"}                                 ->  {"ok":true,"tickets":0}
//	{"op":"backup","path":"/abs/path/backup.db"}  ->  {"ok":true,"size":65536,"tickets":42,"schema":4}
//	{"op":"check"}                                ->  {"ok":true,"tickets":42,"schema":4,"problems":["..."],"omitted":0}
//	{"op":"web_link","user":"slack:U0123"}        ->  {"ok":true,"tickets":0,"link":"https://desk.example.com/signin/link/..."}
//	{"op":"web_signout","user":"slack:U0123"}     ->  {"ok":true,"tickets":0,"sessions":2}
//	{"op":"tickets","status":["open"]}            ->  {"ok":true,"tickets":0,"found":[{ticket}, ...]}
//	{"op":"ticket","id":"T-000001"}               ->  {"ok":true,"tickets":0,"ticket":{ticket}}
//	{"op":"tickets_since","since":"2026-11-01T00:00:00Z"}  ->  {"ok":true,"tickets":0,"list":[...]}
//	{"op":"audit","since":"...","limit":0}        ->  {"ok":true,"tickets":0,"audit":[{entry}, ...]}
//	{"op":"articles"}                             ->  {"ok":true,"tickets":0,"articles":[{article}, ...]}
//	anything that fails                           ->  {"ok":false,"error":"a sentence for the user","code":"not_found"}
//
// The desk serves one request at a time; a request must arrive within Timeout of connecting. A backup is
// written by the desk (one read transaction, Tx.WriteTo, into a temporary file renamed into place); the
// client then verifies the file itself. A check runs bbolt's page check and the invariants
// (storage.DB.CheckAll). The reads (tickets, ticket, tickets_since, audit, articles) answer with the
// stored values as the data file's own reads return them (Local), so a command that reads through the
// desk (Remote) prints what it prints when it opens the file itself.
package control

import (
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// Timeout bounds reading a request and writing an answer, so a client that stalls cannot keep the socket
// from others. The work in between has no limit: a backup of a large file takes what it takes.
const Timeout = 10 * time.Second

// Request is what a command asks of the running desk.
type Request struct {
	Op   string `json:"op"`             // "ping", "backup", "check", "tickets", "ticket", "tickets_since", "audit", "articles", "web_link" or "web_signout"
	Path string `json:"path,omitempty"` // backup: the absolute path to write
	// User is web_link's and web_signout's person, "platform:id".
	User string `json:"user,omitempty"`
	// The reads' arguments: tickets' filter, ticket's id, tickets_since's and audit's since, audit's limit.
	ID        string       `json:"id,omitempty"`
	Requester string       `json:"requester,omitempty"`
	Status    []bot.Status `json:"status,omitempty"`
	Since     time.Time    `json:"since,omitzero"`
	Limit     int          `json:"limit,omitempty"`
}

// Response is the desk's answer.
type Response struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Code is the code of a domain error (bot.ENOTFOUND, ...); "" for other failures.
	Code     string   `json:"code,omitempty"`
	Size     int64    `json:"size,omitempty"`
	Tickets  int      `json:"tickets"`
	Schema   int      `json:"schema,omitempty"`
	Problems []string `json:"problems,omitempty"`
	Omitted  int      `json:"omitted,omitempty"`
	// Link is web_link's sign-in link; Sessions how many sessions web_signout ended.
	Link     string `json:"link,omitempty"`
	Sessions int    `json:"sessions,omitempty"`
	// What the reads read.
	Found    []Ticket         `json:"found,omitempty"` // tickets
	Ticket   *Ticket          `json:"ticket,omitempty"`
	List     []*bot.Ticket    `json:"list,omitempty"` // tickets_since
	Audit    []bot.AuditEntry `json:"audit,omitempty"`
	Articles []kb.Article     `json:"articles,omitempty"`
}

// Path is the control socket of the data file at dataFile.
func Path(dataFile string) string { return dataFile + ".sock" }
