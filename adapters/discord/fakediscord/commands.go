package fakediscord

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Application commands, as Discord keeps them: GET and PUT (bulk overwrite) of
// /applications/{app}/guilds/{guild}/commands and of the global /applications/{app}/commands. A bulk
// overwrite replaces the whole set: a command of the same type and name keeps its id (and its version
// while it is unchanged), a new one gets a new id, and those left out are deleted. Names and descriptions
// are checked as Discord does: a slash command's name is lower case, 1–32 letters, digits, "-" or "_",
// with a description of 1–100 characters; a message or user command's name is 1–32 characters of any
// case with spaces, and it has no description and no options. A guild holds at most 100 slash commands
// and 5 of each of the other kinds.

// command is a registered application command, as Discord returns it.
type command struct {
	ID          string          `json:"id"`
	AppID       string          `json:"application_id"`
	GuildID     string          `json:"guild_id,omitempty"`
	Version     string          `json:"version"`
	Type        int             `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Options     json.RawMessage `json:"options,omitempty"`
	// DefaultMemberPermissions is null (everyone) unless set.
	DefaultMemberPermissions *string `json:"default_member_permissions"`
	DMPermission             *bool   `json:"dm_permission,omitempty"`
	NSFW                     bool    `json:"nsfw"`
}

// Command is a registered application command, as a test reads it.
type Command struct {
	ID, Name, Description string
	// Type is 1 for a slash command, 2 for a user command, 3 for a message command.
	Type    int
	Version string
	Options json.RawMessage
}

var slashName = regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)

// Commands returns the commands registered for guild ("" for global ones), in the order they were put.
func (s *Server) Commands(guild string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Command
	for _, c := range s.commands[guild] {
		out = append(out, Command{ID: c.ID, Name: c.Name, Description: c.Description, Type: c.Type, Version: c.Version, Options: c.Options})
	}
	return out
}

// CommandWrites returns how many bulk overwrites were accepted.
func (s *Server) CommandWrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commandPuts
}

// RefuseCommands makes the command routes answer 403 Missing Access (50001), as Discord does for an app
// added to a server without the applications.commands scope.
func (s *Server) RefuseCommands(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseCmds = refuse
}

// commandsLocked answers the command routes; hit is false for other routes.
func (s *Server) commandsLocked(method string, segs []string, body json.RawMessage) (rep reply, hit bool) {
	guild := ""
	v, global := match(segs, "applications", "*", "commands")
	if !global {
		if v, hit = match(segs, "applications", "*", "guilds", "*", "commands"); !hit {
			return reply{}, false
		}
		guild = v[1]
	}
	if v[0] != AppID || s.refuseCmds || (guild != "" && guild != GuildID) {
		return apiError(http.StatusForbidden, 50001, "Missing Access"), true
	}
	switch method {
	case http.MethodGet:
		return ok(s.commandListLocked(guild)), true
	case http.MethodPut:
		var in []map[string]json.RawMessage
		if err := json.Unmarshal(body, &in); err != nil {
			return apiError(http.StatusBadRequest, 50109, "The request body contains invalid JSON."), true
		}
		return s.overwriteLocked(guild, in), true
	}
	rep = apiError(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
	rep.unknown = true
	return rep, true
}

func (s *Server) commandListLocked(guild string) []any {
	out := []any{}
	for _, c := range s.commands[guild] {
		out = append(out, c)
	}
	return out
}

// overwriteLocked carries out a bulk overwrite, all or nothing.
func (s *Server) overwriteLocked(guild string, in []map[string]json.RawMessage) reply {
	var next []*command
	perType := map[int]int{}
	for i, f := range in {
		at := fmt.Sprintf("%d", i)
		typ := intField(f, "type")
		if typ == 0 {
			typ = 1
		}
		name, desc := stringField(f, "name"), stringField(f, "description")
		switch typ {
		case 1:
			if !slashName.MatchString(name) || strings.ToLower(name) != name {
				return invalidForm(at+".name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
			}
			if n := utf8.RuneCountInString(desc); n < 1 || n > 100 {
				return invalidForm(at+".description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
			}
			if bad := checkOptions(at, f["options"]); bad != nil {
				return *bad
			}
		case 2, 3:
			if n := utf8.RuneCountInString(name); n < 1 || n > 32 || strings.TrimSpace(name) != name {
				return invalidForm(at+".name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
			}
			if desc != "" {
				return invalidForm(at+".description", "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION", "Context menu commands cannot have description")
			}
			if !emptyJSON(f["options"]) {
				return invalidForm(at+".options", "APPLICATION_COMMAND_OPTIONS_NOT_ALLOWED", "Context menu commands cannot have options")
			}
		default:
			return invalidForm(at+".type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
		}
		if slices.ContainsFunc(next, func(c *command) bool { return c.Type == typ && c.Name == name }) {
			return invalidForm(at+".name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
		}
		if perType[typ]++; (typ == 1 && perType[typ] > 100) || (typ != 1 && perType[typ] > 5) {
			return invalidForm(at, "BASE_TYPE_MAX_LENGTH", "Too many application commands of this type.")
		}
		c := &command{AppID: AppID, GuildID: guild, Type: typ, Name: name, Description: desc}
		if !emptyJSON(f["options"]) {
			c.Options = f["options"]
		}
		next = append(next, c)
	}
	for _, c := range next {
		old := s.commandLocked(guild, c.Type, c.Name)
		switch {
		case old == nil:
			c.ID = s.newIDLocked()
			c.Version = c.ID
		case old.Description == c.Description && jsonEqual(old.Options, c.Options):
			c.ID, c.Version = old.ID, old.Version
		default:
			c.ID, c.Version = old.ID, s.newIDLocked()
		}
	}
	s.commands[guild] = next
	s.commandPuts++
	return ok(s.commandListLocked(guild))
}

func (s *Server) commandLocked(guild string, typ int, name string) *command {
	for _, c := range s.commands[guild] {
		if c.Type == typ && c.Name == name {
			return c
		}
	}
	return nil
}

// checkOptions checks a slash command's options: at most 25, named like commands, with descriptions,
// required ones first, and no choices on an autocompleted one.
func checkOptions(at string, raw json.RawMessage) *reply {
	if emptyJSON(raw) {
		return nil
	}
	var opts []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &opts); err != nil {
		rep := invalidForm(at+".options", "BASE_TYPE_BAD_TYPE", "Must be an array.")
		return &rep
	}
	if len(opts) > 25 {
		rep := invalidForm(at+".options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		return &rep
	}
	optional := false
	for i, o := range opts {
		oat := fmt.Sprintf("%s.options.%d", at, i)
		name := stringField(o, "name")
		if !slashName.MatchString(name) || strings.ToLower(name) != name {
			rep := invalidForm(oat+".name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
			return &rep
		}
		if n := utf8.RuneCountInString(stringField(o, "description")); n < 1 || n > 100 {
			rep := invalidForm(oat+".description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
			return &rep
		}
		if t := intField(o, "type"); t < 1 || t > 11 {
			rep := invalidForm(oat+".type", "BASE_TYPE_CHOICES", "Value must be one of 1 to 11.")
			return &rep
		}
		var required, auto bool
		_ = json.Unmarshal(o["required"], &required)
		_ = json.Unmarshal(o["autocomplete"], &auto)
		if required && optional {
			rep := invalidForm(oat+".required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
			return &rep
		}
		optional = optional || !required
		if auto && !emptyJSON(o["choices"]) {
			rep := invalidForm(oat+".autocomplete", "AUTOCOMPLETE_AND_CHOICES", "Autocomplete cannot be set with choices")
			return &rep
		}
	}
	return nil
}

// jsonEqual compares two JSON values by meaning; absent equals null and [].
func jsonEqual(a, b json.RawMessage) bool {
	if emptyJSON(a) || emptyJSON(b) {
		return emptyJSON(a) && emptyJSON(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xj, _ := json.Marshal(x)
	yj, _ := json.Marshal(y)
	return string(xj) == string(yj)
}
