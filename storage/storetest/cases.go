package storetest

// cases is the suite: every case, with the bot.Tx methods it covers. A method of bot.Tx that no case
// names fails TestEveryTxMethodIsCovered.
var cases = []testCase{
	// Transactions (tx.go).
	{"FailedUpdateKeepsNothing", []string{"RecordDedupKey", "CreateTicket", "Enqueue", "Audit", "PutKBArticle", "LinkConversation"}, testFailedUpdateKeepsNothing},
	{"ViewWritesNothing", nil, testViewWritesNothing},
	{"ValuesAreCopies", nil, testValuesAreCopies},
	{"DataSurvivesReopening", nil, testDataSurvivesReopening},

	// Tickets and their indexes (tickets.go, find.go).
	{"Dedup", []string{"RecordDedupKey"}, testDedup},
	{"TicketIDsAndRoundTrip", []string{"CreateTicket", "Ticket", "PutTicket"}, testTicketIDsAndRoundTrip},
	{"TicketsByConversation", []string{"LinkConversation", "TicketByConversation"}, testTicketsByConversation},
	{"DueTickets", []string{"DueTickets"}, testDueTickets},
	{"FindTicketsAgainstAModel", []string{"FindTickets", "TicketRows"}, testFindTicketsAgainstAModel},
	{"TicketRowsFields", []string{"TicketRows"}, testTicketRowsFields},
	{"FindTicketsText", []string{"FindTickets"}, testFindTicketsText},

	// Where messages went (posts.go).
	{"PostRefsAndLinks", []string{"RecordPost", "PostRef", "PostRefs", "LinkMessage", "MessageLink"}, testPostRefsAndLinks},

	// The knowledge base (kb.go).
	{"ArticleVersions", []string{"PutKBArticle", "KBArticle", "KBVersions", "KBArticles"}, testArticleVersions},
	{"PurgeKBArticle", []string{"PurgeKBArticle"}, testPurgeKBArticle},
	{"Feedback", []string{"CountFeedback", "Feedback"}, testFeedback},
	{"KBFiles", []string{"KBFiles", "PutKBFile", "DeleteKBFile"}, testKBFiles},

	// Action runs and settings (actionruns.go).
	{"ActionRuns", []string{"CreateActionRun", "ActionRun", "PutActionRun", "FindActionRuns"}, testActionRuns},
	{"Settings", []string{"Setting", "PutSetting"}, testSettings},

	// The audit log (audit.go).
	{"AuditFilters", []string{"Audit", "FindAudit"}, testAuditFilters},
	{"AuditPagesAndBudget", []string{"FindAudit"}, testAuditPagesAndBudget},

	// The outbox (outbox.go).
	{"OutboxOrderAndRewrite", []string{"Enqueue", "Effects", "PutEffect", "DeleteEffect"}, testOutboxOrderAndRewrite},

	// Concurrency (concurrency.go).
	{"OneClaimWins", []string{"Ticket", "PutTicket"}, testOneClaimWins},
	{"OneDeliveryIsHandled", []string{"RecordDedupKey"}, testOneDeliveryIsHandled},
	{"OneTicketPerConversation", []string{"TicketByConversation", "CreateTicket", "LinkConversation"}, testOneTicketPerConversation},
	{"NoLostUpdates", []string{"CountFeedback", "PutTicket"}, testNoLostUpdates},
	{"OneEditFromABaseVersion", []string{"PutKBArticle"}, testOneEditFromABaseVersion},
	{"LaneOrderIsCommitOrder", []string{"Enqueue", "Effects"}, testLaneOrderIsCommitOrder},
	{"OneDecisionWins", []string{"ActionRun", "PutActionRun"}, testOneDecisionWins},
	{"DistinctSequences", []string{"CreateTicket", "Enqueue", "Audit"}, testDistinctSequences},

	// Capabilities beyond bot.Store (capabilities.go).
	{"PruneDedupKeys", nil, testPruneDedupKeys},
	{"Stats", nil, testStats},
}
