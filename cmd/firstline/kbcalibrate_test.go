package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/adapters/openai/fakeopenai"
	"github.com/firstline-desk/firstline/kb"
)

const (
	calibrateCorpus  = "testdata/calibrate/corpus.jsonl"
	calibrateQueries = "testdata/calibrate/queries.jsonl"
)

// embeddingConfig writes a config whose [llm] embeds with the fake endpoint (hashed words).
func embeddingConfig(t *testing.T, model *fakeopenai.Server, hybrid string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "firstline.toml")
	cfg := `
[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "console:tier2"
members = ["console:tom"]

[llm]
enabled = true
base_url = "` + model.URL() + `"
model = "gpt-test"
embedding_model = "embed-test"

[llm.hybrid]
` + hybrid
	if err := os.WriteFile(name, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// kb eval -hybrid prints the lexical and the hybrid search side by side, from one run, with the
// grounded-answer path when asked; -json nests the lexical figures under "lexical".
func TestKBEvalHybridSideBySide(t *testing.T) {
	cfg := embeddingConfig(t, fakeopenai.New(t), "")
	out, errOut, code := runMain(t, "-config", cfg, "kb", "eval", "-hybrid", "-model-path", "-corpus", calibrateCorpus, "-queries", calibrateQueries)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"60 (48 in the KB, 12 out of it)",
		"lexical               hybrid",
		"Grounded answers, with a stand-in model",
		"- given sources:", "- posted:",
		"against lexical:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = runMain(t, "-config", cfg, "kb", "eval", "-hybrid", "-model-path", "-json", "-corpus", calibrateCorpus, "-queries", calibrateQueries)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		MAP       float64 `json:"map"`
		ModelPath *struct {
			Asked  outOfKB `json:"given_sources"`
			Posted outOfKB `json:"posted"`
		} `json:"model_path"`
		Lexical *struct {
			MAP       float64 `json:"map"`
			ModelPath *struct {
				Asked  outOfKB `json:"given_sources"`
				Posted outOfKB `json:"posted"`
			} `json:"model_path"`
		} `json:"lexical"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Lexical == nil || got.ModelPath == nil || got.Lexical.ModelPath == nil || got.MAP == 0 || got.Lexical.MAP == 0 {
		t.Fatalf("json: %s", out)
	}
	// The model path answers no more out-of-KB questions than the desk's confidence allows.
	for _, mp := range []struct{ asked, posted float64 }{{got.ModelPath.Asked.Out, got.ModelPath.Posted.Out}, {got.Lexical.ModelPath.Asked.Out, got.Lexical.ModelPath.Posted.Out}} {
		if mp.posted > mp.asked || mp.asked == 0 {
			t.Errorf("posted %v out-of-KB answers, more than the %v given sources", mp.posted, mp.asked)
		}
	}
}

type outOfKB struct {
	Out float64 `json:"answered_out_of_kb"`
}

func TestKBCalibrate(t *testing.T) {
	cfg := embeddingConfig(t, fakeopenai.New(t), "agreement_lead = 0.5\n")
	out, errOut, code := runMain(t, "-config", cfg, "kb", "calibrate", "-folds", "4", "-corpus", calibrateCorpus, "-queries", calibrateQueries)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	for _, want := range []string{
		"[llm.hybrid]", "agreement_bias = ", "agreement_lexical = ", "agreement_lead = ",
		"# now 0.50", // the config's agreement_lead
		"lexical               hybrid now            hybrid proposed",
		"values fitted on the other 3 folds only",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = runMain(t, "-config", cfg, "kb", "calibrate", "-json", "-corpus", calibrateCorpus, "-queries", calibrateQueries)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"proposed", "current", "lexical", "hybrid_current", "hybrid_proposed"} {
		if _, ok := got[k]; !ok {
			t.Errorf("json lacks %q: %s", k, out)
		}
	}

	// Too few questions to fit anything: a clear sentence, not a stack of numbers.
	few := filepath.Join(t.TempDir(), "few.jsonl")
	data, err := os.ReadFile(calibrateQueries)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	writeFile(t, few, strings.Join(lines[:10], ""))
	_, errOut, code = runMain(t, "-config", cfg, "kb", "calibrate", "-corpus", calibrateCorpus, "-queries", few)
	if code == 0 || !strings.Contains(errOut, "too few questions to fit on") {
		t.Errorf("10 questions: exit %d, %s", code, errOut)
	}
	// Without an embedding model there is nothing to calibrate.
	_, errOut, code = runMain(t, "kb", "calibrate", "-corpus", calibrateCorpus, "-queries", calibrateQueries)
	if code == 0 || !strings.Contains(errOut, "embedding_model") {
		t.Errorf("no [llm]: exit %d, %s", code, errOut)
	}
}

// [llm.hybrid]'s agreement keys: unset is the default, 0 is a value, a wrong value is named.
func TestHybridConfig(t *testing.T) {
	base := `
[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "console:tier2"
members = ["console:tom"]
[llm]
enabled = true
base_url = "http://127.0.0.1:1/v1"
model = "m"
embedding_model = "e"
[llm.hybrid]
`
	cfg, err := ParseConfig("ok.toml", []byte(base+"agreement_lead = 0\nfusion = \"rrf\"\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.LLM.hybrid(cfg, nil)
	if o.Agreement != (kb.Agreement{Bias: kb.DefaultAgreement.Bias, Lexical: kb.DefaultAgreement.Lexical}) || o.Fusion != kb.FusionRRF {
		t.Errorf("agreement_lead 0 and rrf: %+v, %q", o.Agreement, o.Fusion)
	}
	cfg, err = ParseConfig("ok.toml", []byte(base), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if o := cfg.LLM.hybrid(cfg, nil); o.Agreement != kb.DefaultAgreement || o.Fusion != "" {
		t.Errorf("defaults: %+v, %q", o.Agreement, o.Fusion)
	}
	_, err = ParseConfig("bad.toml", []byte(base+"agreement_lexical = -1\nfusion = \"bm25\"\n"), noEnv)
	if err == nil || !strings.Contains(err.Error(), `llm.hybrid: hybrid search: fusion "bm25"`) || !strings.Contains(err.Error(), "llm.hybrid: agreement: lexical weight -1") {
		t.Errorf("bad values: %v", err)
	}
}
