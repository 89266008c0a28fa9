package main

import (
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// TestTicketViewsNameTiers checks that tickets list and tickets show name tiers as the cards do ("Tier 3",
// "Level 1"), from the config, while -json keeps the stored ids.
func TestTicketViewsNameTiers(t *testing.T) {
	now := time.Now()
	tk := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusEscalated, Tier: "tier3", Priority: "P3", Requester: "console:alice",
		RequesterName: "alice", Subject: "vpn", Conversation: bot.Conversation{Platform: "console", Channel: "help", Thread: "m1"},
		Transitions: []bot.Transition{
			{At: now, Type: bot.TransitionOpened, To: bot.StatusOpen, Tier: bot.LevelOne, By: "console:alice"},
			{At: now, Type: bot.TransitionEscalated, From: bot.StatusOpen, To: bot.StatusEscalated, Tier: "tier3", By: "console:tom"},
		},
		CreatedAt: now, UpdatedAt: now}
	data := mustStoreData(t, tk)

	out := mustRun(t, "Tier 3", "tickets", "list", "-data", data) // the demo desk's tiers
	if strings.Contains(out, "tier3") {
		t.Fatalf("tickets list shows the tier's id:\n%s", out)
	}
	out = mustRun(t, "Tier:       Tier 3", "tickets", "show", "T-000001", "-data", data)
	if !strings.Contains(out, "open [Level 1] by console:alice") || !strings.Contains(out, "escalated [Tier 3] by console:tom") || strings.Contains(out, "tier3") {
		t.Fatalf("tickets show does not name the tiers:\n%s", out)
	}
	mustRun(t, `"tier": "tier3"`, "tickets", "show", "T-000001", "-json", "-data", data)
}
