// Package kb is Firstline's knowledge base: articles as Markdown files with TOML
// front matter, their import and export as a folder (so a knowledge base can
// live in git), and an in-memory search index that ranks articles for what an
// employee types and says how sure it is.
//
// The package knows nothing of chat platforms, storage or models: the engine
// feeds it articles and queries and decides what to do with the confidence it
// gets back (answer, offer a few articles, ask, or escalate).
package kb
