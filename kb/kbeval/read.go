// Package kbeval measures the knowledge-base search: how often it ranks the right article first, when
// it answers and when it should have escalated, and how fast and how big the index is. It reads
// evaluation sets in JSON Lines (a corpus of articles and a list of queries with their relevant
// article ids) and returns figures; printing them is the caller's job.
package kbeval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/firstline-desk/firstline/kb"
)

// Query is one evaluation question and the ids of the articles that answer it. A query none of whose
// relevant ids is in the corpus is out-of-KB: the right behaviour is to escalate it.
type Query struct {
	ID       string   `json:"id"`
	Text     string   `json:"text"`
	Relevant []string `json:"relevant"`
}

// LineError is a malformed line that a reader skipped.
type LineError struct {
	// Line is 1-based.
	Line   int
	Reason string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// ErrNoArticles and ErrNoQueries say a file had no valid row at all: an evaluation of nothing would
// print zeros that look like figures.
var (
	ErrNoArticles = errors.New("no articles")
	ErrNoQueries  = errors.New("no queries")
)

// corpusRow is one line of a corpus file.
type corpusRow struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

// ReadCorpus reads articles, one JSON object {"id", "title", "body"} per line. Malformed lines (bad
// JSON, no id or title, an id seen before) are skipped and returned as LineErrors so one bad row does
// not void a run; blank lines are ignored. It fails with ErrNoArticles when no line is valid, and on
// read errors.
func ReadCorpus(r io.Reader) ([]kb.Article, []LineError, error) {
	cr := NewCorpusReader(r)
	var articles []kb.Article
	for {
		a, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, cr.Bad, err
		}
		articles = append(articles, a)
	}
	if len(articles) == 0 {
		return nil, cr.Bad, ErrNoArticles
	}
	return articles, cr.Bad, nil
}

// CorpusReader reads a corpus one article at a time, with ReadCorpus's rules, so that a large corpus
// can be indexed (kb.BuildFrom) without ever being in memory whole.
type CorpusReader struct {
	br   *bufio.Reader
	buf  []byte // a line longer than br's buffer
	line int
	seen map[string]bool
	// Bad lists the malformed lines skipped so far.
	Bad []LineError
}

// NewCorpusReader returns a reader of the corpus in r.
func NewCorpusReader(r io.Reader) *CorpusReader {
	return &CorpusReader{br: bufio.NewReaderSize(r, 1<<16), seen: make(map[string]bool)}
}

// Next returns the next valid article, skipping malformed lines into Bad, or io.EOF at the end.
func (c *CorpusReader) Next() (kb.Article, error) {
	for {
		line, err := c.readLine()
		if len(line) > 0 {
			c.line++
		}
		if len(bytes.TrimSpace(line)) > 0 {
			a, reason := c.article(line)
			if reason == "" {
				return a, nil
			}
			c.Bad = append(c.Bad, LineError{Line: c.line, Reason: reason})
		}
		if errors.Is(err, io.EOF) {
			return kb.Article{}, io.EOF
		}
		if err != nil {
			return kb.Article{}, err
		}
	}
}

// readLine returns the next line, valid until the next call. It reads into the buffered reader's
// own buffer when the line fits, so reading a large corpus makes no garbage per line.
func (c *CorpusReader) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	c.buf = append(c.buf[:0], line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		if len(c.buf) > MaxLineSize {
			return nil, lineTooLong(c.line + 1)
		}
		line, err = c.br.ReadSlice('\n')
		c.buf = append(c.buf, line...)
	}
	return c.buf, err
}

// MaxLineSize is the longest line a corpus or queries file may have (16 MiB): a row is one article or
// question, and a file without line breaks (a binary, /dev/zero) must fail rather than be read whole.
const MaxLineSize = 16 << 20

func lineTooLong(n int) error {
	return fmt.Errorf("line %d is longer than %d bytes (16 MiB): is this a JSON Lines file?", n, MaxLineSize)
}

func (c *CorpusReader) article(line []byte) (kb.Article, string) {
	var row corpusRow
	if reason := decodeLine(line, &row); reason != "" {
		return kb.Article{}, reason
	}
	switch {
	case strings.TrimSpace(row.ID) == "":
		return kb.Article{}, "no id"
	case strings.TrimSpace(row.Title) == "":
		return kb.Article{}, fmt.Sprintf("article %q has no title", row.ID)
	case c.seen[row.ID]:
		return kb.Article{}, fmt.Sprintf("duplicate id %q", row.ID)
	}
	c.seen[row.ID] = true
	return kb.Article{ID: row.ID, Title: row.Title, Body: row.Body}, ""
}

// ReadQueries reads queries, one JSON object {"id", "text", "relevant": [ids]} per line, with the same
// rules as ReadCorpus: lines without an id or text, and repeated ids, are skipped and reported. An
// empty or missing "relevant" is allowed (timing sets have no labels; such a query is out-of-KB).
func ReadQueries(r io.Reader) ([]Query, []LineError, error) {
	var queries []Query
	seen := map[string]bool{}
	bad, err := readLines(r, func(line []byte) string {
		var q Query
		if reason := decodeLine(line, &q); reason != "" {
			return reason
		}
		switch {
		case strings.TrimSpace(q.ID) == "":
			return "no id"
		case strings.TrimSpace(q.Text) == "":
			return fmt.Sprintf("query %q has no text", q.ID)
		case seen[q.ID]:
			return fmt.Sprintf("duplicate id %q", q.ID)
		}
		seen[q.ID] = true
		queries = append(queries, q)
		return ""
	})
	if err != nil {
		return nil, bad, err
	}
	if len(queries) == 0 {
		return nil, bad, ErrNoQueries
	}
	return queries, bad, nil
}

// ReadCorpusFile is ReadCorpus on a file; its errors name the file.
func ReadCorpusFile(name string) ([]kb.Article, []LineError, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("open corpus: %w", err)
	}
	defer f.Close()
	articles, bad, err := ReadCorpus(f)
	return articles, bad, fileError("corpus", name, bad, err)
}

// FileError is the error of reading a corpus or queries file (what) named name, with the lines
// skipped: ErrNoArticles and ErrNoQueries become "corpus NAME has no articles".
func FileError(what, name string, bad []LineError, err error) error {
	return fileError(what, name, bad, err)
}

// ReadQueriesFile is ReadQueries on a file; its errors name the file.
func ReadQueriesFile(name string) ([]Query, []LineError, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("open queries: %w", err)
	}
	defer f.Close()
	queries, bad, err := ReadQueries(f)
	return queries, bad, fileError("queries file", name, bad, err)
}

func fileError(what, name string, bad []LineError, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNoArticles), errors.Is(err, ErrNoQueries):
		detail := ""
		if len(bad) > 0 {
			detail = fmt.Sprintf(" (all %d non-blank lines are malformed)", len(bad))
		}
		return fmt.Errorf("%s %s has %w%s", what, name, err, detail)
	}
	return fmt.Errorf("read %s %s: %w", what, name, err)
}

// readLines calls row with every non-blank line and collects the reasons it gives for rejecting one.
// It reads whole lines whatever their length: a corpus of long documents has lines far beyond
// bufio.Scanner's default limit.
func readLines(r io.Reader, row func(line []byte) string) ([]LineError, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var bad []LineError
	for n := 1; ; n++ {
		line, err := readBoundedLine(br, n)
		if len(bytes.TrimSpace(line)) > 0 {
			if reason := row(line); reason != "" {
				bad = append(bad, LineError{Line: n, Reason: reason})
			}
		}
		if errors.Is(err, io.EOF) {
			return bad, nil
		}
		if err != nil {
			return bad, err
		}
	}
}

// readBoundedLine is br.ReadBytes('\n') that gives up past MaxLineSize; n is the line's number.
func readBoundedLine(br *bufio.Reader, n int) ([]byte, error) {
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		line = append(line, part...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
		if len(line) > MaxLineSize {
			return nil, lineTooLong(n)
		}
	}
}

// decodeLine unmarshals one JSON object and says what is wrong with it, or "".
func decodeLine(line []byte, v any) string {
	line = bytes.TrimSpace(line)
	if line[0] != '{' {
		return "not a JSON object"
	}
	if err := json.Unmarshal(line, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Sprintf("field %q is not a %s", te.Field, te.Type)
		}
		return "bad JSON: " + err.Error()
	}
	return ""
}

// IDs returns the set of the articles' ids, the corpus Evaluate ranks against.
func IDs(articles []kb.Article) map[string]bool {
	ids := make(map[string]bool, len(articles))
	for _, a := range articles {
		ids[a.ID] = true
	}
	return ids
}
