package slack

import "strings"

// Slack writes emoji in a message's text as shortcodes, even those typed as emoji: 👍 arrives as :+1:,
// and 👍🏽 as :+1::skin-tone-4:. Other platforms show a shortcode as the word it is, so the common ones are
// turned back into the emoji. A shortcode not listed here (a workspace's custom emoji, a rare one) stays as
// it is, which reads well enough.

// emojiCodes maps Slack's standard shortcodes to their emoji: faces, hands, hearts, and the symbols
// people use at a help desk.
var emojiCodes = map[string]string{
	"grinning": "😀", "smiley": "😃", "smile": "😄", "grin": "😁", "laughing": "😆", "satisfied": "😆",
	"sweat_smile": "😅", "rolling_on_the_floor_laughing": "🤣", "joy": "😂", "slightly_smiling_face": "🙂",
	"upside_down_face": "🙃", "wink": "😉", "blush": "😊", "innocent": "😇", "smiling_face_with_3_hearts": "🥰",
	"heart_eyes": "😍", "star-struck": "🤩", "kissing_heart": "😘", "kissing": "😗", "relaxed": "☺️",
	"yum": "😋", "stuck_out_tongue": "😛", "stuck_out_tongue_winking_eye": "😜", "money_mouth_face": "🤑",
	"hugging_face": "🤗", "shushing_face": "🤫", "thinking_face": "🤔", "zipper_mouth_face": "🤐",
	"neutral_face": "😐", "expressionless": "😑", "no_mouth": "😶", "smirk": "😏", "unamused": "😒",
	"face_with_rolling_eyes": "🙄", "grimacing": "😬", "lying_face": "🤥", "relieved": "😌", "pensive": "😔",
	"sleepy": "😪", "sleeping": "😴", "mask": "😷", "face_with_thermometer": "🤒", "nauseated_face": "🤢",
	"sneezing_face": "🤧", "hot_face": "🥵", "cold_face": "🥶", "dizzy_face": "😵", "exploding_head": "🤯",
	"cowboy_hat_face": "🤠", "partying_face": "🥳", "sunglasses": "😎", "nerd_face": "🤓",
	"face_with_monocle": "🧐", "confused": "😕", "worried": "😟", "slightly_frowning_face": "🙁",
	"white_frowning_face": "☹️", "open_mouth": "😮", "hushed": "😯", "astonished": "😲", "flushed": "😳",
	"pleading_face": "🥺", "fearful": "😨", "cold_sweat": "😰", "disappointed_relieved": "😥", "cry": "😢",
	"sob": "😭", "scream": "😱", "confounded": "😖", "persevere": "😣", "disappointed": "😞", "sweat": "😓",
	"weary": "😩", "tired_face": "😫", "yawning_face": "🥱", "triumph": "😤", "rage": "😡", "angry": "😠",
	"skull": "💀", "ghost": "👻", "robot_face": "🤖", "clown_face": "🤡", "see_no_evil": "🙈",
	"hear_no_evil": "🙉", "speak_no_evil": "🙊",
	"wave": "👋", "raised_back_of_hand": "🤚", "raised_hand": "✋", "hand": "✋", "spock-hand": "🖖",
	"ok_hand": "👌", "pinching_hand": "🤏", "v": "✌️", "crossed_fingers": "🤞", "metal": "🤘",
	"call_me_hand": "🤙", "point_left": "👈", "point_right": "👉", "point_up_2": "👆", "point_down": "👇",
	"point_up": "☝️", "+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "fist": "✊",
	"facepunch": "👊", "punch": "👊", "clap": "👏", "raised_hands": "🙌", "open_hands": "👐",
	"palms_up_together": "🤲", "handshake": "🤝", "pray": "🙏", "writing_hand": "✍️", "muscle": "💪",
	"eyes": "👀", "raising_hand": "🙋", "shrug": "🤷", "face_palm": "🤦", "man-shrugging": "🤷‍♂️",
	"woman-shrugging": "🤷‍♀️", "man-facepalming": "🤦‍♂️", "woman-facepalming": "🤦‍♀️",
	"heart": "❤️", "orange_heart": "🧡", "yellow_heart": "💛", "green_heart": "💚", "blue_heart": "💙",
	"purple_heart": "💜", "black_heart": "🖤", "white_heart": "🤍", "broken_heart": "💔",
	"sparkling_heart": "💖", "two_hearts": "💕", "100": "💯", "boom": "💥", "collision": "💥", "zzz": "💤",
	"speech_balloon": "💬", "thought_balloon": "💭", "sweat_drops": "💦", "dash": "💨",
	"tada": "🎉", "confetti_ball": "🎊", "sparkles": "✨", "star": "⭐", "star2": "🌟", "fire": "🔥",
	"zap": "⚡", "rocket": "🚀", "trophy": "🏆", "medal": "🏅", "gift": "🎁", "balloon": "🎈",
	"bulb": "💡", "bug": "🐛", "computer": "💻", "desktop_computer": "🖥️", "keyboard": "⌨️",
	"printer": "🖨️", "iphone": "📱", "phone": "☎️", "telephone": "☎️", "telephone_receiver": "📞",
	"email": "📧", "e-mail": "📧", "envelope": "✉️", "incoming_envelope": "📨", "inbox_tray": "📥",
	"outbox_tray": "📤", "package": "📦", "lock": "🔒", "unlock": "🔓", "key": "🔑", "wrench": "🔧",
	"hammer": "🔨", "hammer_and_wrench": "🛠️", "gear": "⚙️", "mag": "🔍", "mag_right": "🔎", "link": "🔗",
	"paperclip": "📎", "pushpin": "📌", "memo": "📝", "pencil": "📝", "pencil2": "✏️", "books": "📚",
	"book": "📖", "clipboard": "📋", "calendar": "📆", "date": "📅", "file_folder": "📁",
	"open_file_folder": "📂", "page_facing_up": "📄", "bar_chart": "📊", "chart_with_upwards_trend": "📈",
	"chart_with_downwards_trend": "📉", "bell": "🔔", "no_bell": "🔕", "loudspeaker": "📢", "mega": "📣",
	"hourglass": "⌛", "hourglass_flowing_sand": "⏳", "stopwatch": "⏱️", "alarm_clock": "⏰",
	"rotating_light": "🚨", "construction": "🚧", "stop_sign": "🛑", "checkered_flag": "🏁",
	"coffee": "☕", "beer": "🍺", "beers": "🍻", "pizza": "🍕", "cake": "🍰", "birthday": "🎂",
	"sunny": "☀️", "cloud": "☁️", "umbrella": "☔", "snowflake": "❄️", "rainbow": "🌈",
	"earth_americas": "🌎", "earth_africa": "🌍", "globe_with_meridians": "🌐", "house": "🏠", "office": "🏢",
	"car": "🚗", "airplane": "✈️", "money_with_wings": "💸", "moneybag": "💰",
	"white_check_mark": "✅", "heavy_check_mark": "✔️", "ballot_box_with_check": "☑️", "x": "❌",
	"negative_squared_cross_mark": "❎", "warning": "⚠️", "no_entry": "⛔", "no_entry_sign": "🚫",
	"question": "❓", "grey_question": "❔", "exclamation": "❗", "heavy_exclamation_mark": "❗",
	"grey_exclamation": "❕", "bangbang": "‼️", "interrobang": "⁉️", "sos": "🆘", "ok": "🆗", "new": "🆕",
	"information_source": "ℹ️", "heavy_plus_sign": "➕", "heavy_minus_sign": "➖", "arrow_up": "⬆️",
	"arrow_down": "⬇️", "arrow_left": "⬅️", "arrow_right": "➡️", "arrows_counterclockwise": "🔄",
	"repeat": "🔁", "red_circle": "🔴", "large_orange_circle": "🟠", "large_yellow_circle": "🟡",
	"large_green_circle": "🟢", "large_blue_circle": "🔵", "large_purple_circle": "🟣",
	"white_circle": "⚪", "black_circle": "⚫", "zero": "0️⃣", "one": "1️⃣", "two": "2️⃣", "three": "3️⃣",
	"four": "4️⃣", "five": "5️⃣", "six": "6️⃣", "seven": "7️⃣", "eight": "8️⃣", "nine": "9️⃣",
	"keycap_ten": "🔟",
}

// skinTones are Slack's skin-tone modifiers, written after a shortcode (":+1::skin-tone-3:").
var skinTones = map[string]string{
	"skin-tone-2": "\U0001F3FB", "skin-tone-3": "\U0001F3FC", "skin-tone-4": "\U0001F3FD",
	"skin-tone-5": "\U0001F3FE", "skin-tone-6": "\U0001F3FF",
}

// emojize replaces the known :shortcodes: in text with their emoji, a skin tone after one included.
func emojize(s string) string {
	if strings.IndexByte(s, ':') < 0 {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], ':')
		if j < 0 {
			break
		}
		code := s[i+1 : i+1+j]
		e, ok := emojiCodes[code]
		if !ok || !isShortcode(code) {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		s = s[i+1+j+1:]
		if rest, ok := strings.CutPrefix(s, ":"); ok {
			if k := strings.IndexByte(rest, ':'); k > 0 {
				if tone, ok := skinTones[rest[:k]]; ok {
					e = strings.TrimSuffix(e, "\uFE0F") + tone
					s = rest[k+1:]
				}
			}
		}
		b.WriteString(e)
	}
	b.WriteString(s)
	return b.String()
}

// isShortcode reports whether code can be a shortcode: letters, digits, _, + and -, no spaces.
func isShortcode(code string) bool {
	if code == "" {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !isAlnum(c) && c != '_' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

// normalizeReaction turns a Slack reaction name into the name Firstline configures: without skin tone
// ("+1::skin-tone-2"), and with Slack's aliases for the same emoji mapped to one name.
func normalizeReaction(name string) string {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(name), ":"))
	name, _, _ = strings.Cut(name, "::")
	switch name {
	case "thumbsup":
		return "+1"
	case "thumbsdown":
		return "-1"
	}
	return name
}
