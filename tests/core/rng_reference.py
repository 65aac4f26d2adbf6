# Independent Python implementation of core/rng (xoshiro256** seeded by SplitMix64, Lemire bounded draws,
# Fisher-Yates). It produced the golden values in test_rng.cpp: python3 tests/core/rng_reference.py
M=(1<<64)-1
def splitmix(x):
    x=(x+0x9E3779B97F4A7C15)&M; z=x
    z=((z^(z>>30))*0xBF58476D1CE4E5B9)&M
    z=((z^(z>>27))*0x94D049BB133111EB)&M
    return x, z^(z>>31)
def rotl(x,k): return ((x<<k)|(x>>(64-k)))&M
class Rng:
    def __init__(s,seed):
        x=seed; s.s=[]
        for _ in range(4):
            x,z=splitmix(x); s.s.append(z)
    def next(s):
        a=s.s; r=(rotl((a[1]*5)&M,7)*9)&M; t=(a[1]<<17)&M
        a[2]^=a[0]; a[3]^=a[1]; a[1]^=a[2]; a[0]^=a[3]; a[2]^=t; a[3]=rotl(a[3],45); return r
    def below(s,n):
        m=s.next()*n; low=m&M
        if low<n:
            th=((1<<64)-n)%n
            while low<th: m=s.next()*n; low=m&M
        return m>>64
    def perm(s,n):
        p=list(range(n))
        for i in range(n,1,-1):
            j=s.below(i); p[i-1],p[j]=p[j],p[i-1]
        return p
def derive(seed,stream,a=0,b=0):
    x=seed; x,h=splitmix(x)
    for v in (stream,a,b):
        x=h^((v*0xD1B54A32D192ED03)&M); x,h=splitmix(x)
    return h
print(hex(Rng(42).next())); print(Rng(7).perm(10)); print(hex(derive(1,1,3)))
