package plural_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// countedPlural is a format that writes a number followed by a plural noun: "%d tickets", "%d other
// fields". With the number 1 it reads "1 tickets".
var countedPlural = regexp.MustCompile(`%d (other |more |earlier )?[a-z][a-z-]*[a-z]s\b`)

// notANoun are words after %d that end in s but take no plural: "%d is", "%d was", "%d has".
var notANoun = regexp.MustCompile(`%d (is|was|has|does|as|its|says|gives|holds|claims|runs|points)\b`)

// neverOne lists the formats whose number is never 1, by file and the format's start, with why: a limit
// that is a constant larger than 1, or a value checked to be past one.
var neverOne = map[string]string{
	"kb/article.go:id %q must be 1-%d characters":                                 "MaxIDLength",
	"kb/article.go:title is %d characters long":                                   "longer than MaxTitleLength",
	"kb/article.go:body is %d bytes":                                              "larger than MaxArticleSize",
	"kb/article.go:the article is %d bytes":                                       "larger than MaxArticleSize",
	"kb/dir.go:is %d bytes, more than":                                            "larger than MaxArticleSize",
	"kb/hybrid.go:article %s: a vector of %d dimensions":                          "embedding sizes are in the hundreds",
	"kb/hybridsearch.go:the query's vector has %d dimensions":                     "embedding sizes are in the hundreds",
	"bot/signin.go:%d hours":                                                      "two hours or more",
	"bot/signin.go:%d minutes":                                                    "two minutes or more",
	"bot/render.go:%d days":                                                       "two days or more",
	"bot/render.go:%d hours":                                                      "two hours or more",
	"bot/followup.go:%d follow-ups":                                               "maxFruitlessFollowUps or more",
	"bot/forms.go:At most %d characters":                                          "a field's limit",
	"bot/kbparse.go:The title is %d characters long":                              "longer than MaxTitleLength",
	"cmd/firstline/validate.go:csat.min_days_between: %d must be at most %d days": "maxDays",
	"cmd/firstline/kb.go:-n is %d; it must be between 1 and %d results":           "maxSearchResults",
	"cmd/firstline/config.go:read config: %s is larger than %d bytes":             "maxConfigSize",
	"cmd/firstline/kbbench.go:fill_seconds":                                       "benchBatch",
	"cmd/firstline/kbbench.go:check_slas_ms":                                      "benchTicks; the due tickets of a filled file",
	"cmd/firstline/kbbench.go:report_30d_seconds":                                 "the tickets of a filled file",
	"cmd/firstline/kbbench.go:check SLAs looked at %d tickets":                    "an internal check's error",
	"cmd/firstline/web.go:Web console: %s":                                        "the link's lifetime in minutes",
	"adapters/discord/discord.go:discord: the gateway closed %d connections":      "after several failures",
	"adapters/openai/embed.go:vector %d has %d dimensions":                        "embedding sizes are in the hundreds",
	"kb/diff.go:body +%d −%d lines":                                               "diff notation: the noun is for both numbers",
	"adapters/alerts/alertmanager.go:alerts: %d alerts; at most %d":               "more than the limit",
	"adapters/alerts/alertmanager.go:groupKey: longer than %d bytes":              "a limit",
	"adapters/alerts/generic.go:key: longer than %d bytes":                        "a limit",
	"adapters/alerts/generic.go:monitor: longer than %d bytes":                    "a limit",
	"adapters/alerts/generic.go:summary: longer than %d bytes":                    "a limit",
	"adapters/alerts/generic.go:description, runbook_url or url: too long":        "limits",
	"adapters/alerts/payload.go:%s: %d entries; at most %d":                       "more than the limit",
	"adapters/alerts/payload.go:%s: a name must be 1 to %d bytes":                 "a limit",
	"adapters/alerts/payload.go:%s.%s: longer than %d bytes":                      "a limit",
	"adapters/alerts/receiver.go:the body is larger than %d bytes":                "a limit",
	"storage/postgres/postgres.go:the database was too busy":                      "maxAttempts",
	"storage/inspect.go:its meta pages disagree on the page size":                 "two sizes, different: the noun is both's",
	"storage/vectors.go:%d bytes is not a whole number":                           "not a multiple of 4, so never 1... nor 4",
}

// TestCountsAreWrittenWithTheirNumber checks the production code for a number written with a plural noun
// ("%d tickets"), which prints "1 tickets": counts go through plural.Count. A format whose number cannot
// be 1 is listed in neverOne, with why. Test code, the packages that support tests (fakes, storetest,
// bottest, ...) and the evaluation tools are not looked at.
func TestCountsAreWrittenWithTheirNumber(t *testing.T) {
	root := "../.."
	used := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "fake") || d.Name() == "testdata" || d.Name() == "storagetest" || d.Name() == "storetest" || d.Name() == "bottest" || d.Name() == "webtest" || d.Name() == "kbeval" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(rel, "cmd/firstline/kbeval.go") || strings.HasSuffix(rel, "cmd/firstline/kbcalibrate.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !countedPlural.MatchString(strings.ReplaceAll(s, "%d %s", "")) {
				return true
			}
			for _, m := range countedPlural.FindAllString(s, -1) {
				if notANoun.MatchString(m) {
					continue
				}
				allowed := false
				for key := range neverOne {
					file, start, _ := strings.Cut(key, ":")
					if file == rel && strings.HasPrefix(s, start) {
						used[key], allowed = true, true
					}
				}
				if !allowed {
					t.Errorf("%s: %q writes %q: with 1 it reads \"1 ...s\"; write the count with plural.Count", rel, s, m)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key := range neverOne {
		if !used[key] {
			t.Errorf("neverOne lists %q, which is no longer in the code: remove it", key)
		}
	}
}
