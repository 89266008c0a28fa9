package discord

import "github.com/bwmarrin/discordgo"

// Permissions are what the desk needs in the channels it serves, asked for by the invite link
// (firstline discord invite), each for something the adapter does:
//   - View Channels and Read Message History: read the help channels, and a message 🎫 turns into a
//     ticket, and catch up on what was said while the desk was away;
//   - Send Messages, Send Messages in Threads and Create Public Threads: answer, in a thread per ticket;
//   - Embed Links: the tier cards are embeds;
//   - Attach Files: pass on the files people send to the other side of a relay (without it Discord
//     refuses the upload, and the desk can only link the file, which people of another platform cannot
//     open);
//   - Add Reactions: mark what the desk did with a reaction.
const Permissions int64 = discordgo.PermissionViewChannel | discordgo.PermissionReadMessageHistory |
	discordgo.PermissionSendMessages | discordgo.PermissionSendMessagesInThreads | discordgo.PermissionCreatePublicThreads |
	discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles | discordgo.PermissionAddReactions
