package storetest

import (
	"reflect"
	"testing"

	"github.com/firstline-desk/firstline/bot"
)

// TestEveryTxMethodIsCovered fails when a method of bot.Tx is named by no case of the suite: a method
// added to bot.Tx needs a case (see the package doc) before every store is held to it.
func TestEveryTxMethodIsCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range cases {
		for _, m := range c.covers {
			covered[m] = true
		}
	}
	tx := reflect.TypeFor[bot.Tx]()
	for i := range tx.NumMethod() {
		if name := tx.Method(i).Name; !covered[name] {
			t.Errorf("bot.Tx.%s is covered by no case of the conformance suite: add one to storage/storetest/cases.go", name)
		}
	}
	for m := range covered {
		if _, ok := tx.MethodByName(m); !ok {
			t.Errorf("a case covers %s, which bot.Tx does not have", m)
		}
	}
}
