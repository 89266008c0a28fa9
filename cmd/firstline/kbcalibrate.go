package main

import (
	"context"
	"fmt"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/kb/kbeval"
)

// kbCalibrate fits the hybrid search's confidences to the config's embedding model on an evaluation set
// and proposes the [llm.hybrid] values, with what they give on questions they were not fitted on. Like
// kb eval it works in memory.
func (m *Main) kbCalibrate(ctx context.Context, args []string) error {
	fset := m.flagSet("kb calibrate")
	corpusFile := fset.String("corpus", "", "the articles, JSON Lines")
	queriesFile := fset.String("queries", "", "the questions with their relevant articles, JSON Lines; some should be about articles the corpus lacks")
	asJSON := fset.Bool("json", false, "print JSON")
	minConfidence := fset.Float64("min-confidence", 0, "the answer threshold (default: the config's kb.min_confidence)")
	folds := fset.Int("folds", kbeval.DefaultFolds, "cross-validate over this many folds of the questions, split by question")
	rest, err := parseFlags(fset, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *corpusFile == "" || *queriesFile == "" {
		return usageError("kb calibrate needs -corpus FILE and -queries FILE (JSON Lines) and a config with an embedding_model, like:\n  firstline -config firstline.toml kb calibrate -corpus articles.jsonl -queries queries.jsonl")
	}
	if *folds < 2 {
		return usageError("-folds is %d; it must be at least 2", *folds)
	}
	cfg, err := m.config()
	if err != nil {
		return err
	}
	threshold := cfg.KB.MinConfidence
	if isSet(fset, "min-confidence") {
		if *minConfidence < 0 || *minConfidence > 1 {
			return usageError("-min-confidence is %v; it must be between 0 and 1", *minConfidence)
		}
		threshold = *minConfidence
	}
	setup, err := hybridSetup(cfg)
	if err != nil {
		return err
	}
	articles, queries, err := m.readEvalSet(*corpusFile, *queriesFile)
	if err != nil {
		return err
	}
	c, err := kbeval.Calibrate(ctx, articles, queries, setup, kbeval.Options{Threshold: threshold}, *folds)
	if err != nil {
		return &exitError{code: 1, msg: "kb calibrate: " + err.Error()}
	}
	if *asJSON {
		return writeJSON(m.Stdout, calibrateJSON{
			Proposed: hybridValues(c.Agreement, c.Confidence),
			Current:  hybridValues(setup.Options.Agreement, currentRamp(setup.Options)),
			Lexical:  evalFiguresJSON(c.Lexical, c.Folds),
			Before:   evalFiguresJSON(c.Before, c.Folds),
			After:    evalFiguresJSON(c.After, c.Folds),
		})
	}
	w := m.Stdout
	fmt.Fprintf(w, "Corpus   %s: %d articles\n", *corpusFile, len(articles))
	fmt.Fprintf(w, "Queries  %s: %d (%d in the KB, %d out of it)\n", *queriesFile, c.Before.Queries, c.Before.InKB, c.Before.OutOfKB)
	fmt.Fprintf(w, "Model    %s: embedded %d articles in %.1fs\n\n", cfg.LLM.EmbeddingModel, c.Before.Sync.Embedded, c.Before.SyncTime.Seconds())
	if c.Before.OutOfKB == 0 {
		fmt.Fprintln(w, "No question is about an article the corpus lacks: the fit cannot learn when not to answer. Leave some articles out of the corpus (their questions stay) and run it again.")
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "How often the nearest article by embedding is right, by its cosine")
	printCosineBins(w, c.Before)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Proposed, fitted on all %d questions (now: the config's values or the defaults)\n", c.Before.Queries)
	fmt.Fprintln(w, "  [llm.hybrid]")
	cur := setup.Options.Agreement
	ramp := currentRamp(setup.Options)
	fmt.Fprintf(w, "  agreement_bias = %.2f      # now %.2f\n", c.Agreement.Bias, cur.Bias)
	fmt.Fprintf(w, "  agreement_lexical = %.2f   # now %.2f\n", c.Agreement.Lexical, cur.Lexical)
	fmt.Fprintf(w, "  agreement_lead = %.2f      # now %.2f\n", c.Agreement.Lead, cur.Lead)
	if c.ConfidenceErr != nil {
		fmt.Fprintf(w, "  # low, high, max and lead (articles found by embedding alone) kept: %v\n", c.ConfidenceErr)
	} else {
		fmt.Fprintf(w, "  low = %.2f                 # now %.2f\n", c.Confidence.Low, ramp.Low)
		fmt.Fprintf(w, "  high = %.2f                # now %.2f\n", c.Confidence.High, ramp.High)
		fmt.Fprintf(w, "  max = %.2f                 # now %.2f\n", c.Confidence.Max, ramp.Max)
		fmt.Fprintf(w, "  lead = %.3f               # now %.3f\n", c.Confidence.Lead, ramp.Lead)
	}
	lo, hi := agreementSpread(c.FoldAgreements)
	fmt.Fprintf(w, "  fitted on each %d-fold's training part: agreement_bias %.2f to %.2f, agreement_lexical %.2f to %.2f, agreement_lead %.2f to %.2f\n\n",
		c.Folds, lo.Bias, hi.Bias, lo.Lexical, hi.Lexical, lo.Lead, hi.Lead)
	fmt.Fprintf(w, "What they give: \"proposed\" searches each fold's questions with values fitted on the other %d folds only\n", c.Folds-1)
	fmt.Fprintf(w, "Ranges   (a-b): the lowest and highest figure over the %d folds\n\n", c.Folds)
	printEvalTable(w, []evalColumn{{"lexical", c.Lexical}, {"hybrid now", c.Before}, {"hybrid proposed", c.After}}, c.Folds, threshold)
	fmt.Fprintln(w, "Keep the proposed values if answered_out_of_kb and answer_precision are no worse than now and the ranges overlap")
	fmt.Fprintln(w, "little; on a few hundred questions a change within the ranges is noise, and the defaults are as good.")
	return nil
}

// currentRamp is the vector confidence the options give, defaults filled in.
func currentRamp(o kb.HybridOptions) kb.VectorConfidence {
	if o.Confidence == (kb.VectorConfidence{}) {
		return kb.DefaultVectorConfidence
	}
	return o.Confidence
}

func agreementSpread(as []kb.Agreement) (lo, hi kb.Agreement) {
	for i, a := range as {
		if i == 0 {
			lo, hi = a, a
			continue
		}
		lo = kb.Agreement{Bias: min(lo.Bias, a.Bias), Lexical: min(lo.Lexical, a.Lexical), Lead: min(lo.Lead, a.Lead)}
		hi = kb.Agreement{Bias: max(hi.Bias, a.Bias), Lexical: max(hi.Lexical, a.Lexical), Lead: max(hi.Lead, a.Lead)}
	}
	return lo, hi
}

// calibrateJSON is the contract of `kb calibrate -json`.
type calibrateJSON struct {
	Proposed hybridValuesJSON `json:"proposed"`
	Current  hybridValuesJSON `json:"current"`
	Lexical  evalJSON         `json:"lexical"`
	Before   evalJSON         `json:"hybrid_current"`
	After    evalJSON         `json:"hybrid_proposed"`
}

// hybridValuesJSON holds [llm.hybrid] keys.
type hybridValuesJSON struct {
	AgreementBias    float64 `json:"agreement_bias"`
	AgreementLexical float64 `json:"agreement_lexical"`
	AgreementLead    float64 `json:"agreement_lead"`
	Low              float64 `json:"low"`
	High             float64 `json:"high"`
	Max              float64 `json:"max"`
	Lead             float64 `json:"lead"`
}

func hybridValues(a kb.Agreement, v kb.VectorConfidence) hybridValuesJSON {
	return hybridValuesJSON{AgreementBias: a.Bias, AgreementLexical: a.Lexical, AgreementLead: a.Lead, Low: v.Low, High: v.High, Max: v.Max, Lead: v.Lead}
}
