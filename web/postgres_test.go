package web_test

import (
	"context"
	"testing"

	"github.com/firstline-desk/firstline/storage/postgres"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
	"github.com/firstline-desk/firstline/web/webtest"
)

// TestConsoleOnPostgreSQL runs the console's stories on the PostgreSQL store (storage/postgres), each
// desk in a schema of its own: the pages read through bot.Tx (lists, filters, searches, the audit log),
// the actions go through the engine, and sessions and sign-in links are web.SessionStore's records, so the
// console works the same on either store. Skipped without FIRSTLINE_TEST_PG_DSN on a developer's
// machine; CI (.ci/run) starts a PostgreSQL and must run it.
func TestConsoleOnPostgreSQL(t *testing.T) {
	pgtest.DSN(t) // skips (or, in CI, fails) here when there is no PostgreSQL to test on
	webtest.UseStore(t, func(t testing.TB) webtest.Store {
		db, err := postgres.Open(context.Background(), postgres.Options{DSN: pgtest.DSN(t)})
		if err != nil {
			t.Fatalf("open PostgreSQL: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
	for _, story := range []struct {
		name string
		test func(*testing.T)
	}{
		{"queue", TestQueuePage},
		{"list and filters", TestTicketsListAndFilters},
		{"filters, orders and pages", TestTicketsFiltersSortAndPages},
		{"ticket page", TestTicketPage},
		{"actions reach chat", TestTicketActionsReachChat},
		{"release and reopen", TestReleaseAndReopenFromTheWeb},
		{"attachments", TestTicketPageListsAttachments},
		{"alert ticket", TestAlertTicketPage},
		{"employee's own ticket", TestEmployeeWorksTheirOwnTicket},
		{"kb edit and conflict", TestKBEditFromTheWeb},
		{"kb who sees what", TestKBWhoSeesWhat},
		{"kb tags, stale, new", TestKBPageTagsStaleAndNew},
		{"drafts", TestDraftsFromTickets},
		{"audit filters", TestAuditFilters},
		{"reports and health", TestReportsAndHealth},
		{"sign-in link once", TestSignInLinkSignsInOnce},
		{"sign-in link refused", TestSignInLinkRefused},
		{"session idle", TestSessionExpiresWhenIdle},
		{"sign out", TestSignOut},
		{"chat's link", TestChatWebLinkSignsIn},
		{"cross-origin", TestCrossOriginRequestsAreRefused},
		{"permission matrix", TestPermissionMatrix},
	} {
		t.Run(story.name, story.test)
	}
}
