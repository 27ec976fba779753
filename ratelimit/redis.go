package ratelimit

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis counts in Redis, shared by every replica that uses it: rates with redis_rate's GCRA,
// requests in flight in a sorted set per caller whose entries expire after MaxRequest, so a
// replica that dies leaves no count behind for long.
type Redis struct {
	client *redis.Client
	rates  *redis_rate.Limiter
	// Prefix starts every key, so deployments can share a Redis.
	Prefix string
	// MaxRequest is the longest a request can take (the server's write timeout).
	MaxRequest time.Duration
}

// NewRedis connects to the Redis at url (redis://[:password@]host:port/db).
func NewRedis(url string, maxRequest time.Duration) (*Redis, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("limits.redis_url: %w", err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond
	c := redis.NewClient(opts)
	return &Redis{client: c, rates: redis_rate.NewLimiter(c), Prefix: "profilegate:", MaxRequest: maxRequest}, nil
}

// Ping reports whether Redis answers.
func (r *Redis) Ping(ctx context.Context) error { return r.client.Ping(ctx).Err() }

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }

// Take spends one of key's budget.
func (r *Redis) Take(ctx context.Context, key string, n int, per time.Duration, burst int) (bool, time.Duration, error) {
	res, err := r.rates.Allow(ctx, r.Prefix+key, redis_rate.Limit{Rate: n, Period: per, Burst: burst})
	if err != nil {
		return false, 0, fmt.Errorf("redis: %w", err)
	}
	return res.Allowed > 0, res.RetryAfter, nil
}

// enter adds a request to key's set unless limit are in it, after dropping the expired ones.
var enter = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`)

// Enter counts a request in flight.
func (r *Redis) Enter(ctx context.Context, key string, limit int) (bool, func(), error) {
	now := time.Now()
	id := rand.Text()
	k := r.Prefix + key
	n, err := enter.Run(ctx, r.client, []string{k}, now.UnixMilli(), now.Add(-r.MaxRequest).UnixMilli(), id, limit, r.MaxRequest.Milliseconds()).Int()
	if err != nil {
		return false, nil, fmt.Errorf("redis: %w", err)
	}
	if n == 0 {
		return false, nil, nil
	}
	return true, func() { r.client.ZRem(context.WithoutCancel(ctx), k, id) }, nil
}
