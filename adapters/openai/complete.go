package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	openaiapi "github.com/sashabaranov/go-openai"

	"github.com/firstline-desk/firstline/bot"
)

// Complete implements bot.Model: one chat completion, with retries, the breaker and the limits. Errors
// are *bot.Error: EUNAVAILABLE when the endpoint is down, slow, refusing, answers nothing usable or the
// circuit is open; ELIMITED when a limit refused the call (it was not sent); EINVALID when the request
// itself was rejected (a role other than user or assistant, a prompt too long for the model). The call is
// logged here, so callers need not log the error again.
func (c *Client) Complete(ctx context.Context, req bot.ModelRequest) (bot.ModelReply, error) {
	purpose := req.Purpose
	if purpose == "" {
		purpose = "unspecified"
	}
	creq, err := c.chatRequest(req)
	if err != nil {
		return bot.ModelReply{}, err
	}
	var reply bot.ModelReply
	err = c.run(ctx, call{purpose: purpose, user: req.User, model: c.cfg.Model, counted: true}, func(ctx context.Context) (result, error) {
		var err error
		if c.cfg.Stream {
			reply, err = c.completeStream(ctx, creq)
		} else {
			reply, err = c.completePlain(ctx, creq)
		}
		return result{promptTokens: reply.PromptTokens, completionTokens: reply.CompletionTokens, finish: reply.FinishReason}, err
	})
	if err != nil {
		return bot.ModelReply{}, fmt.Errorf("%s model call: %w", purpose, err)
	}
	return reply, nil
}

// chatRequest builds the request go-openai sends.
func (c *Client) chatRequest(req bot.ModelRequest) (openaiapi.ChatCompletionRequest, error) {
	creq := openaiapi.ChatCompletionRequest{Model: c.cfg.Model, Temperature: float32(c.cfg.Temperature), MaxTokens: req.MaxTokens}
	if creq.MaxTokens <= 0 {
		creq.MaxTokens = c.cfg.MaxTokens
	}
	if req.System != "" {
		creq.Messages = append(creq.Messages, openaiapi.ChatCompletionMessage{Role: openaiapi.ChatMessageRoleSystem, Content: req.System})
	}
	for i, m := range req.Messages {
		if m.Role != openaiapi.ChatMessageRoleUser && m.Role != openaiapi.ChatMessageRoleAssistant {
			return creq, bot.Errorf(bot.EINVALID, "model request: message %d has role %q, not user or assistant", i, m.Role)
		}
		creq.Messages = append(creq.Messages, openaiapi.ChatCompletionMessage{Role: m.Role, Content: m.Content})
	}
	if len(creq.Messages) == 0 {
		return creq, bot.Errorf(bot.EINVALID, "model request: no system prompt and no messages")
	}
	if req.JSON {
		creq.ResponseFormat = &openaiapi.ChatCompletionResponseFormat{Type: openaiapi.ChatCompletionResponseFormatTypeJSONObject}
	}
	if c.cfg.Stream {
		// Without it the stream carries no token counts.
		creq.StreamOptions = &openaiapi.StreamOptions{IncludeUsage: true}
	}

	// Reasoning models (o1, o3, o4, gpt-5, ...) reject max_tokens and any temperature but their own, and
	// go-openai refuses to send such a request. Adjust it the way its validator asks, so a config that
	// names such a model works.
	v := openaiapi.NewReasoningValidator()
	if err := v.Validate(creq); errors.Is(err, openaiapi.ErrReasoningModelMaxTokensDeprecated) {
		creq.MaxCompletionTokens, creq.MaxTokens = creq.MaxTokens, 0
	}
	if err := v.Validate(creq); errors.Is(err, openaiapi.ErrReasoningModelLimitationsOther) || errors.Is(err, openaiapi.ErrReasoningSamplingUnsupported) {
		creq.Temperature = 0
	}
	if err := v.Validate(creq); err != nil {
		return creq, bot.WrapError(err, bot.EINVALID, "model request for %q: %v", c.cfg.Model, err)
	}
	return creq, nil
}

func (c *Client) completePlain(ctx context.Context, creq openaiapi.ChatCompletionRequest) (bot.ModelReply, error) {
	resp, err := c.api.CreateChatCompletion(ctx, creq)
	if err != nil {
		return bot.ModelReply{}, err
	}
	reply := bot.ModelReply{PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens}
	if len(resp.Choices) == 0 {
		return reply, &replyError{msg: "the reply has no choices"}
	}
	ch := resp.Choices[0]
	reply.Text, reply.FinishReason = ch.Message.Content, string(ch.FinishReason)
	return reply, checkText(reply)
}

// completeStream assembles a streamed reply. go-openai reports a stream that ends without "data: [DONE]"
// as a normal end (io.EOF), so a reply without a finish reason is taken as cut off.
func (c *Client) completeStream(ctx context.Context, creq openaiapi.ChatCompletionRequest) (bot.ModelReply, error) {
	stream, err := c.api.CreateChatCompletionStream(ctx, creq)
	if err != nil {
		return bot.ModelReply{}, err
	}
	defer stream.Close()
	var (
		reply  bot.ModelReply
		text   strings.Builder
		choice bool
	)
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bot.ModelReply{}, err
		}
		if chunk.Usage != nil {
			reply.PromptTokens, reply.CompletionTokens = chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			choice = true
			text.WriteString(ch.Delta.Content)
			if ch.FinishReason != "" {
				reply.FinishReason = string(ch.FinishReason)
			}
		}
	}
	reply.Text = text.String()
	switch {
	case !choice:
		return reply, &replyError{msg: "the streamed reply has no choices"}
	case reply.FinishReason == "":
		return reply, &replyError{msg: "the stream ended before the reply was finished", retry: true}
	}
	return reply, checkText(reply)
}

// checkText refuses a reply with nothing in it: the engine would have nothing to say.
func checkText(r bot.ModelReply) error {
	if strings.TrimSpace(r.Text) == "" {
		return &replyError{msg: fmt.Sprintf("the reply has no content (finish reason %q)", r.FinishReason)}
	}
	return nil
}
