// Package bot is Firstline's service desk: the domain types (tickets, events, effects), the interfaces the
// rest of the program implements (Chat for chat platforms, Store for storage, Library for the knowledge
// base), and the engine that turns what people say and click into ticket changes and replies.
//
// The engine never talks to a platform or a database directly. Every inbound event is handled in one
// storage transaction that checks the event's dedup key, changes the ticket and appends the effects it
// causes (posts, edits, reactions, jobs) to an outbox. A dispatcher then performs those effects through
// Chat and records the platform's references to what it posted. A crash at any point therefore loses
// nothing that was acknowledged, and a redelivered event changes nothing twice.
package bot
