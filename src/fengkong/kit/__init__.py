"""Small shared building blocks: money, time, enums. Depends on nothing else of ours."""
