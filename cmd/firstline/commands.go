package main

// The commands: one table that the dispatch, `firstline help`, `COMMAND -h` and the usage are all made
// from, so what the help says is what runs.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one thing firstline does. A name of two words ("tickets list") is a command of a group
// ("tickets"); `firstline tickets` alone lists the group's commands.
type command struct {
	name     string // "tickets list"
	synopsis string // its arguments and main flags, after the name: "[-status S] [-json]"
	summary  string // one line, for the list of commands
	help     string // what `firstline help NAME` says between the synopsis and the flags
	run      func(m *Main, ctx context.Context, args []string) error
}

// commands is every command, in the order the usage lists them. It is set by init: its commands' help
// reads it.
var commands []command

func init() {
	commands = []command{
		{name: "run", synopsis: "[-data DIR] [-config FILE] [-web ADDR]", summary: "run the desk (no config: the console demo); the same as firstline alone",
			help: `Runs the service desk until it is told to stop (Ctrl-C, SIGTERM). With a chat platform enabled in the
config it serves Slack and Discord; without one, the console demo on a built-in knowledge base.`,
			run: (*Main).runDesk},
		{name: "tickets list", synopsis: "[-status S] [-json]", summary: "list tickets (S: open, escalated, claimed, pending_vendor, resolved)",
			help: `Lists the tickets, one line each: id, status, tier, priority, requester, assignee, when it was opened
and its subject.
Works while the desk runs: it then reads through the desk's control socket, and prints the same.`,
			run: (*Main).ticketsList},
		{name: "tickets show", synopsis: "ID [-json]", summary: "one ticket with its history and conversation",
			help: `Shows one ticket: its fields, the articles offered, every transition and the conversation. -json prints
the stored ticket.
Works while the desk runs: it then reads through the desk's control socket, and prints the same.`,
			run: (*Main).ticketsShow},
		{name: "kb import", synopsis: "DIR", summary: "add or update the articles in a folder of Markdown files",
			help: `Adds or updates every article of a folder in one transaction, the folder's files winning over edits
made in chat. A folder with any bad file imports nothing. Stop the desk first.`,
			run: (*Main).kbImport},
		{name: "kb export", synopsis: "DIR", summary: "write every article to a folder as Markdown",
			help: `Makes DIR hold every article as a Markdown file, removing the files of deleted articles; the folder
imports back with kb import.
Works while the desk runs: it then reads through the desk's control socket, and prints the same.`,
			run: (*Main).kbExport},
		{name: "kb search", synopsis: "[-n N] [-json] QUERY", summary: "search the knowledge base as the bot would",
			help: `Searches the knowledge base as the bot would: each article's confidence, score and the passage that
matched, and whether the bot would answer or escalate.
Works while the desk runs: it then reads through the desk's control socket, and prints the same.`,
			run: (*Main).kbSearch},
		{name: "kb eval", synopsis: "-corpus C -queries Q [-json] [-min-confidence X] [-sweep] [-hybrid] [-model-path] [-folds 5]",
			summary: "measure search quality on an evaluation set (JSON Lines)",
			help: `Measures search quality on an evaluation set, each figure with its range over folds of the questions.
It works in memory and never opens the data file.`,
			run: (*Main).kbEval},
		{name: "kb calibrate", synopsis: "-corpus C -queries Q [-json] [-min-confidence X] [-folds 5]",
			summary: "fit [llm.hybrid] to the embedding model on an evaluation set",
			help: `Fits [llm.hybrid] to the config's embedding model on your own questions, and shows what the values give
on questions they were not fitted on. It never opens the data file.`,
			run: (*Main).kbCalibrate},
		{name: "kb bench", synopsis: "-corpus C -queries Q [-json] [-time 2s]", summary: "measure index build, memory, latency and throughput",
			help: `Times the search on a corpus: index build, memory, query latency and throughput. It works in memory
and never opens the data file.`,
			run: (*Main).kbBench},
		{name: "report", synopsis: "[-since 30d] [-until DATE] [-json] [-html FILE]", summary: "the service-desk report: volumes, SLA, CSAT, backlog, gaps",
			help: `The service-desk report of a window (default the last 30 days): volumes, deflection, SLA, CSAT, the
backlog and the knowledge base's gaps. -json prints the figures; -html also writes a self-contained page.
Works while the desk runs: it then reads through the desk's control socket, and prints the same.`,
			run: (*Main).report},
		{name: "audit", synopsis: "[-since 7d] [-json]", summary: "the audit log: knowledge-base changes, ticket transitions, refusals",
			help: `The audit log from a span or a date on, oldest first: who changed which article, every ticket
transition, every refused command.
Works while the desk runs: it then reads through the desk's control socket, and prints the same.`,
			run: (*Main).audit},
		{name: "backup", synopsis: "[-force] FILE", summary: "copy the data file to FILE, also while the desk runs; verified",
			help: `Copies the data file to FILE and verifies the copy. While the desk runs it asks the desk to write the
copy, over its control socket; otherwise it opens the file itself.`,
			run: (*Main).backup},
		{name: "restore", synopsis: "FILE", summary: "put a backup in place of the data file (stop Firstline first)",
			help: `Puts a verified backup in place of the data file; the file it replaces is kept beside it. Stop the desk
first.`,
			run: (*Main).restore},
		{name: "check", synopsis: "", summary: "check the data file (or PostgreSQL database): Firstline's indexes and links",
			help: `Checks the data file: bbolt's pages and Firstline's own indexes and links, one line per problem; exit
status 1 if there is any. While the desk runs it asks the desk, over its control socket. On PostgreSQL
([storage] in -config) it checks the database's records in one snapshot, while the desks run.`,
			run: (*Main).check},
		{name: "erase-user", synopsis: "[-dry-run] PLATFORM:ID", summary: "delete a person's tickets and erase them from all others",
			help: `Deletes the tickets a person requested and erases them from every other record. Stop the desk first,
and run compact after it so the erased bytes leave the disk. On PostgreSQL ([storage] in -config) it
erases in the database while the replicas run (they wait for it).`,
			run: (*Main).eraseUser},
		{name: "compact", synopsis: "", summary: "rewrite the data file so deleted data leaves the disk",
			help: `Rewrites the data file so deleted and erased data leaves the disk. Stop the desk first.`,
			run:  (*Main).compact},
		{name: "migrate", synopsis: "-to postgres|bbolt [-dsn DSN] [-data DIR]", summary: "copy the desk between the data file and PostgreSQL, either way; verified",
			help: `Copies every record of the desk (tickets with their history and conversations, message links, the
outbox, the knowledge base with every version, feedback, the audit log, adapters' state, vectors, web
sessions, dedup keys) from one store into the other, then reads the copy back and compares it:
  -to postgres  from the data file in -data into the empty PostgreSQL database -dsn (its schema made);
  -to bbolt     from the database -dsn into a new data file in -data.
-data names the desk's folder (DIR/firstline.db), or, ending in .db, the data file itself. A target that
holds anything is refused, and so is a data file a running desk holds: stop the desk (every replica)
first. The source is left as it was. -dsn defaults to [storage.postgres] dsn of -config.`,
			run: (*Main).migrate},
		{name: "bench tickets", synopsis: "[-n N] [-data DIR] [-json]", summary: "fill a fresh data file with N tickets; time the SLA loop and a report",
			help: `Fills a fresh data file with N realistic tickets and times what grows with it: the SLA loop's tick and
a 30-day report. Without -data it works in a temporary directory.`,
			run: (*Main).benchTickets},
		{name: "health", synopsis: "[-url URL]", summary: "ask the running desk's /healthz: exit 0 when up, 1 when down",
			help: `Asks the running desk's /healthz (at -url, or at the config's http.listen on this host) and exits 0
when it is up (ok, or degraded while a platform reconnects), 1 when it is down or does not answer. It is
the container image's HEALTHCHECK.`,
			run: (*Main).health},
		{name: "discord invite", synopsis: "[APPLICATION_ID]", summary: "print the link that adds the bot to a Discord server",
			help: `Prints the link that adds the bot to a Discord server with the permissions it needs. Without an
application id, it reads it from the config's discord.token.`,
			run: (*Main).discordInvite},
		{name: "web link", synopsis: "USER", summary: "a one-time sign-in link to the web console for USER (the desk runs)",
			help: `Prints a one-time sign-in link to the web console for USER (platform:id, like slack:U0123ABCD), made
by the running desk over its control socket. The web console runs with the desk: start it first.`,
			run: (*Main).webLink},
		{name: "web signout", synopsis: "USER", summary: "end every web console session of USER (the desk runs)",
			help: `Ends every web console session of USER (platform:id), through the running desk's control socket.`,
			run:  (*Main).webSignout},
		{name: "actions list", synopsis: "[-json]", summary: "the actions the config defines ([[actions]])",
			help: `Lists the actions the config defines: what each runs (without its secrets), the values it takes, who
may request it and who approves it. It reads the config alone and never opens the data file.`,
			run: (*Main).actionsList},
		{name: "actions test", synopsis: "[-as PLATFORM:ID] [-preview] ID key=value…", summary: "a dry run: check the values, show what would be sent",
			help: `A dry run of an action: the values are checked as the desk checks them, and what the runner would send
or run is printed, its secrets hidden, without doing it. -preview runs the action's preview (itself a dry
run) and prints its output.`,
			run: (*Main).actionsTest},
		{name: "version", synopsis: "", summary: "print the version (also firstline --version)",
			help: `Prints the version, the commit it was built from, the Go version and the data file's schema.`,
			run:  (*Main).version},
		{name: "help", synopsis: "[COMMAND]", summary: "what a command does, its flags and their defaults",
			help: `Prints what a command does, its flags and their defaults; without a command, the list of commands.
firstline COMMAND -h says the same.`,
			run: (*Main).help},
	}
}

// findCommand returns the command named name ("tickets list"), or nil.
func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// group returns the commands of a group ("tickets": tickets list, tickets show); none when name is no
// group.
func group(name string) []command {
	var out []command
	for _, c := range commands {
		if first, _, ok := strings.Cut(c.name, " "); ok && first == name {
			out = append(out, c)
		}
	}
	return out
}

// dispatch runs the command args name, with the arguments after its name.
func (m *Main) dispatch(ctx context.Context, args []string) error {
	if c := findCommand(args[0]); c != nil {
		return c.run(m, ctx, args[1:])
	}
	sub := group(args[0])
	if len(sub) == 0 {
		return usageError("unknown command %q\n\n%s", args[0], usageText())
	}
	switch {
	case len(args) == 1:
		return usageError("%s needs a command: %s\n\n%s", args[0], groupWords(sub), groupUsage(args[0], sub))
	case isHelpFlag(args[1]):
		fmt.Fprint(m.Stdout, groupUsage(args[0], sub))
		return nil
	}
	if c := findCommand(args[0] + " " + args[1]); c != nil {
		return c.run(m, ctx, args[2:])
	}
	return usageError("unknown command \"%s %s\"\n\n%s", args[0], args[1], groupUsage(args[0], sub))
}

// isHelpFlag reports whether arg asks for help the way the flag package understands it.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

// help is `firstline help [COMMAND]`.
func (m *Main) help(ctx context.Context, args []string) error {
	words, err := parseFlags(m.flagSet("help"), args, false)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		fmt.Fprint(m.Stdout, usageText())
		return nil
	}
	name := strings.Join(words, " ")
	if findCommand(name) != nil {
		// Every command parses its flags before it does anything, so -h prints its help and nothing
		// else: the flags shown are the ones it really has, with their defaults.
		return m.dispatch(ctx, append(words, "-h"))
	}
	if sub := group(name); len(sub) > 0 {
		fmt.Fprint(m.Stdout, groupUsage(name, sub))
		return nil
	}
	return usageError("no command %q: firstline help lists them", name)
}

// helpRequest is a command's -h: Run prints the help of the command whose flags fs holds, exit status 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return "help requested" }

// printHelp writes the help of the command whose flag set is fs: its synopsis, what it does, its flags
// with their defaults.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	c := findCommand(fs.Name())
	if c == nil {
		fmt.Fprint(w, usageText())
		return
	}
	fmt.Fprintf(w, "Usage: firstline %s\n\n%s\n\nFlags:\n", strings.TrimSpace(c.name+" "+c.synopsis), c.help)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// commandUsage is the short reminder a flag error ends with.
func commandUsage(name string) string {
	c := findCommand(name)
	if c == nil {
		return usageText()
	}
	return fmt.Sprintf("Usage: firstline %s\nRun firstline help %s for its flags.", strings.TrimSpace(c.name+" "+c.synopsis), c.name)
}

// usageColumn is where the summaries start in the list of commands.
const usageColumn = 47

// usageText is what `firstline help` and `firstline -h` print: every command, one or two lines each.
func usageText() string {
	var b strings.Builder
	b.WriteString("Firstline, the Level 1 IT service desk in chat.\n\nUsage:\n")
	line := func(cmd, summary string) { usageLine(&b, "  firstline "+cmd, summary) }
	line("[-data DIR] [-config FILE] [-web ADDR]", "run the desk (no config: the console demo, with the web console on 127.0.0.1:8080; -web \"\" turns it off)")
	for _, c := range commands {
		line(strings.TrimSpace(c.name+" "+c.synopsis), c.summary)
	}
	b.WriteString(`
Every command takes -data DIR (default ./firstline-data) and -config FILE.
firstline help COMMAND, or firstline COMMAND -h, prints a command's flags and their defaults;
firstline --version prints the version.
`)
	return b.String()
}

// usageLine writes one command of a list of commands: cmd, then its summary at usageColumn, or on a line
// of its own at that column when cmd is too long to leave a gap before it.
func usageLine(b *strings.Builder, cmd, summary string) {
	if len(cmd) < usageColumn-1 {
		fmt.Fprintf(b, "%-*s%s\n", usageColumn, cmd, summary)
	} else {
		fmt.Fprintf(b, "%s\n%*s%s\n", cmd, usageColumn, "", summary)
	}
}

// groupUsage lists the commands of a group.
func groupUsage(name string, sub []command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: firstline %s COMMAND\n\nCommands:\n", name)
	for _, c := range sub {
		usageLine(&b, "  "+strings.TrimSpace(c.name+" "+c.synopsis), c.summary)
	}
	fmt.Fprintf(&b, "\nfirstline help %s COMMAND prints a command's flags and their defaults.\n", name)
	return b.String()
}

// groupWords lists a group's commands by their last word: "list or show".
func groupWords(sub []command) string {
	var words []string
	for _, c := range sub {
		_, w, _ := strings.Cut(c.name, " ")
		words = append(words, w)
	}
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
