"""The AI image generator: a job per prompt, four pictures, each becoming a catalog item.

`service` holds the rules (requests, the job's steps, what a caller may see), `backends`
the painters (the offline renderer by default; an OpenAI-compatible HTTP endpoint; a
local diffusers pipeline as an optional extra), `jobs` the durable background jobs and
`callbacks` the guarded delivery of results to a caller's URL. See docs/generation.md.
"""
