"""credx: the credit-exchange procedure (学分兑换) of a vocational college, in the terminal."""
