package postgres

// Notifications (bot.Watcher): PostgreSQL's LISTEN/NOTIFY, on channels named after the topic and the
// schema ("firstline.kb.public"), so that desks in two schemas of one database do not wake each other.

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
)

var _ bot.Watcher = (*DB)(nil)

// channel is the notification channel of topic in this database's schema.
func (db *DB) channel(topic string) string { return "firstline." + topic + "." + db.schema }

// Watch listens on topic's channel on a connection of its own (a LISTEN holds its connection, so it is
// not taken from the pool) and calls fn with each notification until ctx is done. Notifications sent
// while it does not listen are lost: so once it listens, first at start and again after its connection
// dropped (a restart of PostgreSQL, a network fault), it calls fn with Missed set, and the caller
// reloads what it keeps. It reconnects every watchRetry until it can.
func (db *DB) Watch(ctx context.Context, topic string, fn func(bot.Notification)) error {
	channel := db.channel(topic)
	for {
		err := db.listen(ctx, channel, fn)
		if ctx.Err() != nil {
			return nil
		}
		db.log.Warn("listening for changes stopped; listening again", "topic", topic, "err", redactDSN(err.Error()))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(watchRetry):
		}
	}
}

// watchRetry is how long Watch waits before it connects again.
const watchRetry = 500 * time.Millisecond

// listen connects, LISTENs on channel, reports Missed, then passes notifications on until the
// connection fails or ctx is done.
func (db *DB) listen(ctx context.Context, channel string, fn func(bot.Notification)) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect to listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen on %s: %w", channel, err)
	}
	fn(bot.Notification{Missed: true})
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for a notification on %s: %w", channel, err)
		}
		fn(bot.Notification{Payload: n.Payload})
	}
}
