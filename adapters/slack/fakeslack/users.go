package fakeslack

import (
	"net/url"
	"slices"
	"strconv"
)

// json is a user as users.info and users.list describe them.
func (u user) json() map[string]any {
	profile := map[string]any{
		"real_name": u.realName, "real_name_normalized": u.realName,
		"display_name": u.displayName, "display_name_normalized": u.displayName,
	}
	if u.email != "" {
		profile["email"] = u.email
	}
	return map[string]any{
		"id": u.id, "team_id": TeamID, "name": u.displayName, "real_name": u.realName,
		"is_bot": u.id == BotUserID, "profile": profile,
	}
}

// usersListLocked answers users.list a page at a time, in id order, as Slack pages: limit (default and
// most 200 here), and the next page's cursor in response_metadata.next_cursor, "" on the last.
func (s *Server) usersListLocked(f url.Values) reply {
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	limit, err := strconv.Atoi(f.Get("limit"))
	if err != nil || limit <= 0 || limit > 200 {
		limit = 200
	}
	from := 0
	if c := f.Get("cursor"); c != "" {
		if from, err = strconv.Atoi(c); err != nil || from < 0 || from > len(ids) {
			return errReply("invalid_cursor")
		}
	}
	to := min(from+limit, len(ids))
	members := make([]map[string]any, 0, to-from)
	for _, id := range ids[from:to] {
		members = append(members, s.users[id].json())
	}
	next := ""
	if to < len(ids) {
		next = strconv.Itoa(to)
	}
	return okReply(map[string]any{"members": members, "response_metadata": map[string]any{"next_cursor": next}})
}
