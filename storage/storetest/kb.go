package storetest

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// testArticleVersions: each put is a new version from the base it was made from; a put from another base
// is ECONFLICT and writes nothing; an invalid article is EINVALID; versions read back oldest first, whole;
// the newest of every article, deleted ones too, by id.
func testArticleVersions(t *testing.T, h Harness) {
	s := h.Open(t)
	a := kb.Article{ID: "vpn", Title: "VPN", Tags: []string{"vpn", "remote"}, Body: "Connect.\n\n- one\n- two"}
	b := a
	b.Body = "Connect again."
	z := kb.Article{ID: "a-first", Title: "First", Body: "First by id."}
	update(t, s, func(tx bot.Tx) error {
		for i, step := range []struct {
			article kb.Article
			deleted bool
			base    int
		}{{a, false, 0}, {b, false, 1}, {b, true, 2}} {
			v, err := tx.PutKBArticle(step.article, step.deleted, "slack:UADA", at(i), step.base)
			if err != nil {
				return err
			}
			if v != i+1 {
				t.Errorf("step %d: version %d, want %d", i, v, i+1)
			}
		}
		_, err := tx.PutKBArticle(z, false, "discord:7", at(9), 0)
		return err
	})
	update(t, s, func(tx bot.Tx) error {
		_, err := tx.PutKBArticle(a, false, "slack:UADA", base, 1)
		wantCode(t, "a put from an old version", err, bot.ECONFLICT)
		_, err = tx.PutKBArticle(z, false, "slack:UADA", base, 0)
		wantCode(t, "a new article over an existing one", err, bot.ECONFLICT)
		_, err = tx.PutKBArticle(kb.Article{ID: "Bad Id"}, false, "x", base, 0)
		wantCode(t, "an invalid article", err, bot.EINVALID)
		return nil
	})
	view(t, s, func(tx bot.Tx) error {
		cur, err := tx.KBArticle("vpn")
		if err != nil {
			return err
		}
		sameJSON(t, "the newest version", cur, bot.KBArticle{Article: b, Version: 3, Deleted: true, Author: "slack:UADA", At: at(2)})
		vers, err := tx.KBVersions("vpn")
		if err != nil {
			return err
		}
		sameJSON(t, "every version", vers, []bot.KBArticle{
			{Article: a, Version: 1, Author: "slack:UADA", At: at(0)},
			{Article: b, Version: 2, Author: "slack:UADA", At: at(1)},
			{Article: b, Version: 3, Deleted: true, Author: "slack:UADA", At: at(2)},
		})
		if _, err := tx.KBArticle("nope"); !bot.IsNotFound(err) {
			t.Errorf("an unknown article: %v, want ENOTFOUND", err)
		}
		if vers, err := tx.KBVersions("nope"); err != nil || len(vers) != 0 {
			t.Errorf("versions of an unknown article: %+v, %v", vers, err)
		}
		if vers, err := tx.KBVersions("vp"); err != nil || len(vers) != 0 {
			t.Errorf("versions of an id that is a prefix of another: %+v, %v", vers, err)
		}
		all, err := tx.KBArticles()
		if err != nil {
			return err
		}
		var got []string
		for _, x := range all {
			got = append(got, x.Article.ID)
		}
		if !slices.Equal(got, []string{"a-first", "vpn"}) || !all[1].Deleted || all[1].Version != 3 {
			t.Errorf("KBArticles: %v (%+v)", got, all)
		}
		return nil
	})
}

// testPurgeKBArticle: a purge keeps a live article's newest version and removes the rest; it removes a
// deleted article entirely, feedback counts included; an article that never was is ENOTFOUND.
func testPurgeKBArticle(t *testing.T, h Harness) {
	s := h.Open(t)
	a := kb.Article{ID: "vpn", Title: "VPN", Body: "one"}
	b := kb.Article{ID: "vpn-old", Title: "Old VPN", Body: "old"}
	update(t, s, func(tx bot.Tx) error {
		for i, body := range []string{"one", "two", "three"} {
			a.Body = body
			if _, err := tx.PutKBArticle(a, false, "slack:UADA", base, i); err != nil {
				return err
			}
		}
		if _, err := tx.PutKBArticle(b, false, "slack:UADA", base, 0); err != nil {
			return err
		}
		if _, err := tx.PutKBArticle(b, true, "slack:UADA", base, 1); err != nil {
			return err
		}
		if err := tx.CountFeedback("vpn", ""); err != nil {
			return err
		}
		return tx.CountFeedback("vpn-old", "")
	})
	update(t, s, func(tx bot.Tx) error {
		if n, err := tx.PurgeKBArticle("vpn"); err != nil || n != 2 {
			t.Errorf("purge a live article: %d, %v; want 2 removed", n, err)
		}
		if n, err := tx.PurgeKBArticle("vpn-old"); err != nil || n != 2 {
			t.Errorf("purge a deleted article: %d, %v; want 2 removed", n, err)
		}
		_, err := tx.PurgeKBArticle("never")
		wantCode(t, "purge of no article", err, bot.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx bot.Tx) error {
		vs, err := tx.KBVersions("vpn")
		if err != nil || len(vs) != 1 || vs[0].Version != 3 || vs[0].Article.Body != "three" {
			t.Errorf("versions of a purged live article: %+v, %v", vs, err)
		}
		if cur, err := tx.KBArticle("vpn"); err != nil || cur.Version != 3 {
			t.Errorf("a purged live article: %+v, %v", cur, err)
		}
		if _, err := tx.KBArticle("vpn-old"); !bot.IsNotFound(err) {
			t.Errorf("a purged deleted article: %v, want ENOTFOUND", err)
		}
		if vs, err := tx.KBVersions("vpn-old"); err != nil || len(vs) != 0 {
			t.Errorf("versions of a purged deleted article: %+v, %v", vs, err)
		}
		fb, err := tx.Feedback()
		if err != nil {
			return err
		}
		if _, ok := fb["vpn-old"]; ok || fb["vpn"].Offered != 1 {
			t.Errorf("feedback after the purges: %+v", fb)
		}
		return nil
	})
	// A purged live article goes on from its version.
	update(t, s, func(tx bot.Tx) error {
		a.Body = "four"
		v, err := tx.PutKBArticle(a, false, "slack:UADA", base, 3)
		if err != nil || v != 4 {
			t.Errorf("a put after the purge: version %d, %v; want 4", v, err)
		}
		return nil
	})
}

// testFeedback: offers and each outcome counted per article; an unknown kind is EINVALID.
func testFeedback(t *testing.T, h Harness) {
	s := h.Open(t)
	update(t, s, func(tx bot.Tx) error {
		for _, c := range []struct{ article, kind string }{
			{"vpn", ""}, {"vpn", ""}, {"vpn", bot.FeedbackSolved}, {"vpn", bot.FeedbackNotHelpful},
			{"printer", ""}, {"printer", bot.FeedbackHuman}, {"printer", bot.FeedbackHuman},
		} {
			if err := tx.CountFeedback(c.article, c.kind); err != nil {
				return err
			}
		}
		wantCode(t, "an unknown kind", tx.CountFeedback("vpn", "great"), bot.EINVALID)
		return nil
	})
	view(t, s, func(tx bot.Tx) error {
		fb, err := tx.Feedback()
		if err != nil {
			return err
		}
		want := map[string]bot.ArticleFeedback{"vpn": {Offered: 2, Solved: 1, NotHelpful: 1}, "printer": {Offered: 1, Human: 2}}
		if !maps.Equal(fb, want) {
			t.Errorf("feedback %+v, want %+v", fb, want)
		}
		return nil
	})
}

// testKBFiles: one record per article id, replaced by the next, forgotten on delete (no error when there
// is none); an empty id is EINVALID.
func testKBFiles(t *testing.T, h Harness) {
	s := h.Open(t)
	mod := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	update(t, s, func(tx bot.Tx) error {
		for _, f := range []bot.KBFile{
			{ID: "vpn", File: "vpn.md", Hash: "h1", Version: 1},
			{ID: "printer", File: "printer.md", Hash: "h2", Version: 3},
			{ID: "vpn", File: "vpn.md", Hash: "h3", Version: 2, Conflict: &bot.KBConflict{Hash: "h4", Version: 2, Since: mod}},
		} {
			if err := tx.PutKBFile(f); err != nil {
				return err
			}
		}
		wantCode(t, "a record without an id", tx.PutKBFile(bot.KBFile{File: "x.md"}), bot.EINVALID)
		return nil
	})
	view(t, s, func(tx bot.Tx) error {
		files, err := tx.KBFiles()
		if err != nil {
			return err
		}
		sameJSON(t, "kb files", files, map[string]bot.KBFile{
			"vpn":     {ID: "vpn", File: "vpn.md", Hash: "h3", Version: 2, Conflict: &bot.KBConflict{Hash: "h4", Version: 2, Since: mod}},
			"printer": {ID: "printer", File: "printer.md", Hash: "h2", Version: 3},
		})
		return nil
	})
	update(t, s, func(tx bot.Tx) error {
		if err := tx.DeleteKBFile("vpn"); err != nil {
			return err
		}
		return tx.DeleteKBFile("never")
	})
	view(t, s, func(tx bot.Tx) error {
		files, err := tx.KBFiles()
		if err != nil {
			return err
		}
		if len(files) != 1 || files["printer"].Hash != "h2" {
			t.Errorf("kb files after a delete: %+v", files)
		}
		return nil
	})
}
