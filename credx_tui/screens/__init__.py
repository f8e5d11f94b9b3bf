"""The screens of the student's journey (S1-S5): login, portal, transcript, 学分兑换,
apply, 流程跟踪."""
