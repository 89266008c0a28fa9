package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/kb"
)

// kbImport adds or updates every article of a folder, in one transaction: a folder with any bad file
// imports nothing, and neither does an import interrupted half way. The folder's files win over edits
// made in chat (the deliberate way to take a kb.dir file in a conflict).
func (m *Main) kbImport(ctx context.Context, args []string) error {
	fs := m.flagSet("kb import")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("kb import needs one folder of Markdown articles")
	}
	dir := rest[0]
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return &exitError{code: 1, msg: fmt.Sprintf("%s is not a folder", dir)}
	}
	files, err := kb.ReadFolder(ctx, dir)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("nothing imported, fix these first:\n%v", err)}
	}
	var articles []kb.Article
	for _, f := range files {
		articles = append(articles, f.Article)
	}
	if len(articles) == 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("no .md articles in %s", dir)}
	}
	cfg, err := m.offlineConfig()
	if err != nil {
		return err
	}
	// On PostgreSQL the import goes into the database the desks share, while they run.
	var db bot.Store
	if cfg.postgresOn() {
		pg, err := m.openPostgres(ctx, cfg, false, nil)
		if err != nil {
			return err
		}
		defer pg.Close()
		db = pg
	} else {
		file, err := m.openData()
		if err != nil {
			return err
		}
		defer file.Close()
		db = file
	}
	res, err := bot.ImportKBArticles(ctx, db, articles, "cli:"+currentUser(), time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Imported %s from %s: %d new, %d changed, %d unchanged.\n",
		plural.Count(len(articles), "article", "articles"), dir, res.Added, res.Changed, res.Unchanged)
	return nil
}

func (m *Main) kbExport(ctx context.Context, args []string) error {
	fs := m.flagSet("kb export")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("kb export needs one folder to write to")
	}
	read, done, err := m.reader(ctx)
	if err != nil {
		return err
	}
	defer done()
	articles, err := read.Articles(ctx)
	if err != nil {
		return err
	}
	res, err := kb.WriteDir(ctx, rest[0], articles)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("export: %v", err)}
	}
	fmt.Fprintf(m.Stdout, "Exported %s to %s: %d written, %d unchanged, %d removed.\n",
		plural.Count(len(articles), "article", "articles"), rest[0], res.Written, res.Unchanged, len(res.Removed))
	for _, name := range res.Removed {
		fmt.Fprintf(m.Stdout, "  removed %s: its article is no longer in the knowledge base\n", name)
	}
	return nil
}

func (m *Main) kbSearch(ctx context.Context, args []string) error {
	fs := m.flagSet("kb search")
	n := fs.Int("n", 5, "show the best `N` articles (1 to 1000)")
	asJSON := fs.Bool("json", false, "print the results as a JSON array")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	query := strings.TrimSpace(strings.Join(rest, " "))
	if query == "" {
		return usageError("kb search needs a question, like: firstline kb search my vpn won't connect")
	}
	if *n < 1 || *n > maxSearchResults {
		return usageError("-n is %d; it must be between 1 and %d results", *n, maxSearchResults)
	}
	cfg, err := m.offlineConfig()
	if err != nil {
		return err
	}
	read, done, err := m.reader(ctx)
	if err != nil {
		return err
	}
	defer done()
	articles, err := read.Articles(ctx)
	if err != nil {
		return err
	}
	if len(articles) == 0 {
		return &exitError{code: 1, msg: "the knowledge base is empty: import articles with `firstline kb import DIR`, or run `firstline` once for the demo KB"}
	}
	index := kb.NewLibrary(articles, kb.Options{Synonyms: cfg.KB.Synonyms})
	hits := index.Index.Search(query, *n)
	// Snippets mark what the search looked for: the query's words, the synonyms they stand for and
	// the corrections of typos, so an admin sees why each article was found.
	terms := index.QueryTerms(query)
	snippet := func(id string) string {
		a, _ := index.Article(id)
		return kb.SnippetTerms(terms, a, snippetRunes)
	}
	if *asJSON {
		type result struct {
			ID         string  `json:"id"`
			Title      string  `json:"title"`
			Score      float64 `json:"score"`
			Confidence float64 `json:"confidence"`
			Answer     bool    `json:"answer"`
			Snippet    string  `json:"snippet"`
		}
		out := []result{}
		for _, h := range hits {
			out = append(out, result{h.ID, h.Title, h.Score, h.Confidence, h.Confidence >= cfg.KB.MinConfidence, snippet(h.ID)})
		}
		return writeJSON(m.Stdout, out)
	}
	if len(hits) == 0 {
		fmt.Fprintln(m.Stdout, "No articles match. The bot would escalate this question.")
		return nil
	}
	for i, h := range hits {
		fmt.Fprintf(m.Stdout, "%d. %s  [%s]\n   confidence %.2f, score %.2f\n   %s\n\n", i+1, h.Title, h.ID, h.Confidence, h.Score, snippet(h.ID))
	}
	if hits[0].Confidence >= cfg.KB.MinConfidence {
		fmt.Fprintf(m.Stdout, "The bot would answer with %s (confidence %.2f >= min_confidence %.2f).\n", hits[0].ID, hits[0].Confidence, cfg.KB.MinConfidence)
	} else {
		fmt.Fprintf(m.Stdout, "The bot would escalate: the best confidence %.2f is below min_confidence %.2f.\n", hits[0].Confidence, cfg.KB.MinConfidence)
	}
	return nil
}

// maxSearchResults bounds kb search -n: more than a person reads, fewer than would take long to print.
const maxSearchResults = 1000

// snippetRunes is how much of an article a search result shows: two or three lines of a terminal.
const snippetRunes = 200

// currentUser is who runs the command, as the audit log names them ("cli:" and this): $USER ($USERNAME on
// Windows), or else the account of the process, since cron, systemd units and docker exec often set
// neither; "unknown" only when the system cannot say.
func currentUser() string {
	for _, k := range []string{"USER", "USERNAME"} {
		if u := os.Getenv(k); u != "" {
			return u
		}
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}
